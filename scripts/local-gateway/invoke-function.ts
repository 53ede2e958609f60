// Calls a function through serverless-offline's Lambda Invoke endpoint
// (the AWS Invoke API on its lambda port): serverless-offline runs the
// bundled handler in its workers, as it does behind its own HTTP routes.
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export type Invoked =
  | { ok: true; result: APIGatewayProxyResult }
  /** The function failed, timed out or answered something that is not a proxy result. */
  | { ok: false; reason: 'function-error' | 'timeout' | 'malformed' };

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (!value || typeof value !== 'object') return false;
  const result = value as Record<string, unknown>;
  return Number.isInteger(result.statusCode) && (result.body === undefined || typeof result.body === 'string');
}

export async function invokeFunction(lambdaPort: number, functionName: string, event: APIGatewayProxyEvent, timeoutMs: number): Promise<Invoked> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
      method: 'POST',
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { ok: false, reason: (error as Error).name === 'TimeoutError' ? 'timeout' : 'function-error' };
  }
  const text = await response.text();
  if (response.status !== 200 || response.headers.has('x-amz-function-error')) return { ok: false, reason: 'function-error' };
  try {
    const result: unknown = JSON.parse(text);
    return isProxyResult(result) ? { ok: true, result } : { ok: false, reason: 'malformed' };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
