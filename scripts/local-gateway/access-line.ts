// API Gateway's own access-log line, in the stage's format
// (provider.logs.restApi.format in serverless.yml): locally it goes to the
// terminal, so the requests API Gateway answers itself (403, 429) show too.
import { requestTime } from './request-time';

export interface AccessFacts {
  requestId: string;
  httpMethod: string;
  started: number;
  resourcePath?: string;
  apiKeyId?: string;
  status?: number;
  errorType?: string;
}

/** The $context variables a format may use; API Gateway writes "-" for an empty one. */
function values(facts: AccessFacts, now: number): Record<string, string> {
  return {
    'context.requestId': facts.requestId,
    'context.identity.apiKeyId': facts.apiKeyId ?? '-',
    'context.httpMethod': facts.httpMethod,
    'context.resourcePath': facts.resourcePath ?? '-',
    'context.status': String(facts.status ?? '-'),
    'context.responseLatency': String(now - facts.started),
    'context.error.responseType': facts.errorType ?? '-',
    'context.requestTime': requestTime(facts.started),
  };
}

export function accessLine(format: string, facts: AccessFacts, now = Date.now()): string {
  const known = values(facts, now);
  return format.replace(/\$context\.[A-Za-z.]*[A-Za-z]/g, (reference) => {
    const value = known[reference.slice(1)];
    if (value === undefined) throw new Error(`the access-log format uses ${reference}, which the local gateway does not provide`);
    return value;
  });
}
