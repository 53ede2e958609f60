// The Lambda proxy integration event API Gateway (REST API) sends a function,
// built for one request: the shape @types/aws-lambda describes, with the
// calling key's own id in requestContext.identity.apiKeyId.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { requestTime } from './request-time';

export interface Matched {
  template: string;
  pathParameters: Record<string, string> | null;
}

/** Matches a path (below the stage) against one resource template. */
export function matchTemplate(template: string, path: string): Matched | undefined {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const parameters: Record<string, string> = {};
  for (let i = 0; i < want.length; i += 1) {
    const part = want[i]!;
    const param = /^\{(.+)\}$/.exec(part);
    if (param) {
      if (got[i] === '') return undefined;
      try {
        parameters[param[1]!] = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
    } else if (part !== got[i]) return undefined;
  }
  return { template, pathParameters: Object.keys(parameters).length ? parameters : null };
}

function headerMaps(raw: string[]) {
  const headers: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const [name, value] = [raw[i]!, raw[i + 1]!];
    headers[name] = value; // the last value, as API Gateway's single-value map
    (multi[name] ??= []).push(value);
  }
  return { headers, multi };
}

function queryMaps(search: URLSearchParams) {
  if ([...search.keys()].length === 0) return { query: null, multi: null };
  const query: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of search) {
    query[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { query, multi };
}

export interface EventInput {
  request: IncomingMessage;
  url: URL;
  stage: string;
  matched: Matched;
  body: Buffer;
  requestId: string;
  /** The calling key, when the method needs one. */
  key?: { value: string; id: string };
}

export function proxyEvent({ request, url, stage, matched, body, requestId, key }: EventInput): APIGatewayProxyEvent {
  const { headers, multi } = headerMaps(request.rawHeaders);
  const { query, multi: multiQuery } = queryMaps(url.searchParams);
  const now = new Date();
  const method = request.method ?? 'GET';
  return {
    resource: matched.template,
    path: url.pathname.slice(stage.length + 1),
    httpMethod: method,
    headers,
    multiValueHeaders: multi,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: matched.pathParameters,
    stageVariables: null,
    // Text bodies pass as they are; API Gateway base64-encodes only binary
    // media types, and this API declares none.
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: request.headers.host ?? '127.0.0.1',
      domainPrefix: '127',
      extendedRequestId: randomUUID(),
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: key?.value ?? null,
        apiKeyId: key?.id ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: url.pathname,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
      requestTime: requestTime(now.getTime()),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: matched.template,
      stage,
    },
  };
}
