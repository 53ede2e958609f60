import type { APIGatewayProxyResult } from 'aws-lambda';

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Which version answered (README, "Releasing a new version"); exposed to browsers by the CORS middleware. */
export const VERSION_HEADER = 'X-Model-Version';

export function versionHeader(version: string): Record<string, string> {
  return { [VERSION_HEADER]: version };
}
