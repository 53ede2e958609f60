import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export interface EventOptions {
  method?: string;
  path?: string;
  body?: string | null;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  /** The route template, e.g. "/models/{name}/predict"; defaults to the path. */
  resource?: string;
  pathParameters?: Record<string, string>;
  /** API Gateway's id of the caller's key (requestContext.identity.apiKeyId). */
  apiKeyId?: string;
  /** The query string's parameters (queryStringParameters). */
  query?: Record<string, string>;
}

/** An API Gateway REST (v1) proxy event, as Lambda receives it. */
export function apiEvent(options: EventOptions = {}): APIGatewayProxyEvent {
  const method = options.method ?? 'POST';
  const path = options.path ?? '/predict';
  return {
    resource: options.resource ?? path,
    path,
    httpMethod: method,
    headers: options.headers ?? { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: options.pathParameters ?? null,
    stageVariables: null,
    body: options.body === undefined ? null : options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: (options.apiKeyId === undefined ? {} : { apiKeyId: options.apiKeyId }) as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/test${path}`,
      stage: 'test',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: options.resource ?? path,
    },
  };
}

export function lambdaContext(functionName = 'predict'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  json: Record<string, unknown>;
  requestId: string;
}

/** Invokes a handler the way Lambda does and returns its answer as it is (a CSV answer, say). */
export async function invokeText(handler: HttpHandler, options: EventOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const result = await handler(apiEvent(options), lambdaContext());
  return { status: result.statusCode, headers: result.headers ?? {}, body: result.body };
}

/** Invokes a handler the way Lambda does and parses its JSON answer. */
export async function invoke(handler: HttpHandler, options: EventOptions & { json?: unknown } = {}): Promise<Reply> {
  const body = options.json === undefined ? options.body : JSON.stringify(options.json);
  const context = lambdaContext();
  const result = await handler(apiEvent({ ...options, body }), context);
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    json: JSON.parse(result.body) as Record<string, unknown>,
    requestId: context.awsRequestId,
  };
}
