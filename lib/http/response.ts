import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Model } from '../model';

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Which version answered (README, "Releasing a new version"); exposed to browsers by the CORS middleware. */
export const VERSION_HEADER = 'X-Model-Version';

export function versionHeader(model: Model): Record<string, string> {
  return { [VERSION_HEADER]: model.info.version };
}
