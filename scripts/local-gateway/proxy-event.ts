// The Lambda proxy integration event API Gateway (REST API) sends a function,
// built for one request: the shape @types/aws-lambda describes, with the
// calling key's own id in requestContext.identity.apiKeyId.
import { randomUUID } from 'node:crypto';
import { matchesMediaType, mediaTypeOf } from '../../lib/media-type';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RequestTarget } from './request-target';
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

/**
 * Name → values, in order. A Map, then own properties: a header or query
 * parameter named like an Object.prototype member (`__proto__`,
 * `constructor`, `toString`) is a name like any other, never the prototype's.
 */
function collect(pairs: Iterable<[string, string]>): { single: Record<string, string>; multi: Record<string, string[]> } {
  const values = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return {
    // The last value, as API Gateway's single-value maps.
    single: Object.fromEntries([...values].map(([name, list]) => [name, list.at(-1)!])),
    multi: Object.fromEntries(values),
  };
}

function* rawPairs(raw: string[]): Iterable<[string, string]> {
  for (let i = 0; i + 1 < raw.length; i += 2) yield [raw[i]!, raw[i + 1]!];
}

function headerMaps(raw: string[]) {
  const { single, multi } = collect(rawPairs(raw));
  return { headers: single, multi };
}

function queryMaps(search: URLSearchParams) {
  if ([...search.keys()].length === 0) return { query: null, multi: null };
  const { single, multi } = collect(search);
  return { query: single, multi };
}

export interface EventInput {
  request: IncomingMessage;
  target: RequestTarget;
  stage: string;
  matched: Matched;
  body: Buffer;
  requestId: string;
  /** The calling key, when the method needs one. */
  key?: { value: string; id: string };
  /** The REST API's binaryMediaTypes (GatewaySpec). */
  binaryMediaTypes: readonly string[];
}

/**
 * Whether API Gateway hands the body to a proxy integration base64-encoded:
 * when its Content-Type matches one of the API's binary media types (a
 * wildcard matches too); a body without a Content-Type only under "*\/*".
 */
export function sentAsBinary(contentType: string | undefined, binaryMediaTypes: readonly string[]): boolean {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === undefined) return binaryMediaTypes.includes('*/*');
  return binaryMediaTypes.some((pattern) => matchesMediaType(mediaType, pattern));
}

export function proxyEvent({ request, target, stage, matched, body, requestId, key, binaryMediaTypes }: EventInput): APIGatewayProxyEvent {
  const binary = sentAsBinary(request.headers['content-type'], binaryMediaTypes);
  const { headers, multi } = headerMaps(request.rawHeaders);
  const { query, multi: multiQuery } = queryMaps(target.search);
  const now = new Date();
  const method = request.method ?? 'GET';
  return {
    resource: matched.template,
    path: target.path.slice(stage.length + 1),
    httpMethod: method,
    headers,
    multiValueHeaders: multi,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: matched.pathParameters,
    stageVariables: null,
    // As API Gateway does: base64 for a binary media type, else the text as it is.
    body: body.length ? body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary && body.length > 0,
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
      path: target.path,
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
