// The local API Gateway: a loopback HTTP server that does what API Gateway
// does before and after a function runs, as the compiled template says —
// route matching, the resource policy's addresses, API keys and their usage
// plans (throttle and quota), the GatewayResponses, reserved concurrency —
// and hands each request to
// serverless-offline's Lambda emulation as a proxy integration event.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessLine, type AccessFacts } from './access-line';
import { gatewayAnswer, type Answer, type ResponseType } from './gateway-response';
import type { ApiKey, GatewaySpec, Route } from './gateway-spec';
import { invokeFunction } from './invoke-function';
import { matchTemplate, proxyEvent, type Matched } from './proxy-event';
import { requestTarget } from './request-target';
import { UsageLimits } from './usage-limits';

/** API Gateway's payload limit for a REST API request. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout for a REST API. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

export interface GatewayOptions {
  spec: GatewaySpec;
  lambdaPort: number;
  /** The access-log format of the stage (provider.logs.restApi.format), if any. */
  accessLogFormat?: string;
  log?: (line: string) => void;
  /** Keys beside the template's, looked up after them: the local stage's customer keys (customer-keys.ts). */
  moreKeys?: { find(value: string): KnownKey | undefined };
}

/** A key the gateway accepts, with what is left of its plan; `counted` is told of each request it lets through. */
export interface KnownKey {
  key: ApiKey;
  limits: Pick<UsageLimits, 'take' | 'retryAfter'>;
  counted?(): void;
}

function findRoute(routes: Route[], method: string, path: string): { route: Route; matched: Matched } | undefined {
  // A literal path part wins over a {parameter}, as in API Gateway.
  const candidates = routes
    .filter((r) => r.method === method)
    .map((route) => ({ route, matched: matchTemplate(route.template, path) }))
    .filter((c): c is { route: Route; matched: Matched } => c.matched !== undefined)
    .sort((a, b) => a.route.template.split('{').length - b.route.template.split('{').length);
  return candidates[0];
}

function readBody(request: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_REQUEST_BYTES ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, answer: Answer, requestId: string, multi: Record<string, (string | number | boolean)[]> = {}): void {
  const headers: Record<string, string | string[]> = { ...answer.headers };
  for (const [name, values] of Object.entries(multi)) headers[name] = values.map(String);
  headers['x-amzn-requestid'] = requestId;
  response.writeHead(answer.status, headers);
  response.end(answer.body);
}

export class LocalGateway {
  private readonly inFlight = new Map<string, number>();
  /** Requests being answered, whatever their route: what a graceful stop waits for. */
  private handling = 0;
  private draining = false;
  private drained?: () => void;
  /** Each key by its value, with what is left of its plan. */
  private readonly keys: Map<string, KnownKey>;
  private server?: Server;

  constructor(private readonly options: GatewayOptions) {
    this.keys = new Map(options.spec.keys.map((key) => [key.value, { key, limits: new UsageLimits(key.plan) }]));
  }

  async listen(port: number): Promise<number> {
    this.server = createServer((request, response) => {
      this.handling += 1;
      this.handle(request, response)
        .catch(() => {
          // Never reached in normal operation: handle() answers every failure itself.
          if (!response.headersSent) send(response, gatewayAnswer(this.options.spec, 'DEFAULT_5XX', 'local'), 'local');
        })
        .finally(() => {
          this.handling -= 1;
          if (this.draining && this.handling === 0) this.drained?.();
        });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * A graceful stop: accept no new connection, let every request under way
   * finish (each function call is bounded by the integration timeout), close
   * the idle keep-alive connections; resolves with how many requests were
   * still under way when `limitMs` ran out (0 when all finished).
   */
  drain(limitMs: number): Promise<number> {
    this.draining = true;
    const closed = this.close();
    this.server?.closeIdleConnections();
    const finished = this.handling === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
    return Promise.race([finished.then(() => closed), limit]).then(() => {
      clearTimeout(timer);
      return this.handling;
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const requestId = randomUUID();
    const { spec } = this.options;
    const facts: AccessFacts = { requestId, httpMethod: request.method ?? '', started };
    const finish = (answer: Answer, type?: ResponseType, multi?: Record<string, (string | number | boolean)[]>) => {
      // Stopping: the answer closes its connection, so a keep-alive client sends nothing more on it and the server can close.
      if (this.draining) response.setHeader('connection', 'close');
      send(response, answer, requestId, multi);
      if (this.options.accessLogFormat && this.options.log) {
        this.options.log(accessLine(this.options.accessLogFormat, { ...facts, status: answer.status, errorType: type }));
      }
    };
    const refuse = (type: ResponseType, status?: number, retryAfter?: number) => finish(gatewayAnswer(spec, type, requestId, status, retryAfter), type);

    const target = requestTarget(request.url);
    const body = await readBody(request);
    if (target === null) return refuse('BAD_REQUEST');
    const prefix = `/${spec.stage}`;
    const path = target.path.startsWith(`${prefix}/`) ? target.path.slice(prefix.length) : undefined;
    // API Gateway routes /v2/ as /v2 (the event's path keeps the slash as sent).
    const routed = path !== undefined && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const found = routed === undefined ? undefined : findRoute(spec.routes, request.method ?? '', routed);
    if (!found) return refuse('MISSING_AUTHENTICATION_TOKEN');
    const { route, matched } = found;
    facts.resourcePath = route.template;
    // The resource policy (param allowedCidrs), on the connection's address.
    if (spec.sourceIpPolicy && !spec.sourceIpPolicy.allows(request.socket.remoteAddress)) return refuse('ACCESS_DENIED');
    if (body === 'too-large') return refuse('REQUEST_TOO_LARGE');

    if (route.integration.type === 'mock') {
      return finish({ status: route.integration.statusCode, headers: route.integration.headers, body: '' });
    }

    let key: ApiKey | undefined;
    if (route.apiKeyRequired) {
      const value = request.headers['x-api-key'];
      const known = typeof value === 'string' ? (this.keys.get(value) ?? this.options.moreKeys?.find(value)) : undefined;
      if (!known) return refuse('INVALID_API_KEY');
      key = known.key;
      facts.apiKeyId = key.id;
      const verdict = known.limits.take();
      if (verdict !== 'ok') return refuse(verdict, undefined, known.limits.retryAfter(verdict));
      known.counted?.();
    }

    // A function at its reserved concurrency is throttled by Lambda, which
    // API Gateway answers with a 500 of type INTEGRATION_FAILURE (README,
    // "Limits that explain themselves"): its GatewayResponse names the cause
    // and sends Retry-After.
    const fn = spec.functions.get(route.integration.functionName)!;
    const running = this.inFlight.get(fn.name) ?? 0;
    if (fn.reservedConcurrency !== undefined && running >= fn.reservedConcurrency) return refuse('INTEGRATION_FAILURE', 500);
    this.inFlight.set(fn.name, running + 1);
    try {
      const event = proxyEvent({ request, target, stage: spec.stage, matched, body, requestId, key: key && { value: key.value, id: key.id }, binaryMediaTypes: spec.binaryMediaTypes });
      const invoked = await invokeFunction(this.options.lambdaPort, fn.name, event, INTEGRATION_TIMEOUT_MS);
      // A function error is API Gateway's 502 of type INTEGRATION_FAILURE; a
      // malformed result a 502 (DEFAULT_5XX shapes it); its own integration
      // timeout, a 504 of type INTEGRATION_TIMEOUT.
      if (!invoked.ok) {
        const type = invoked.reason === 'timeout' ? 'INTEGRATION_TIMEOUT' : invoked.reason === 'function-error' ? 'INTEGRATION_FAILURE' : 'DEFAULT_5XX';
        return refuse(type, invoked.reason === 'timeout' ? 504 : 502);
      }
      const { result } = invoked;
      const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
      const answer = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
      finish({ status: result.statusCode, headers, body: answer }, undefined, result.multiValueHeaders);
    } finally {
      this.inFlight.set(fn.name, (this.inFlight.get(fn.name) ?? 1) - 1);
    }
  }
}
