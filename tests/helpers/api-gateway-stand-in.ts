// A stand-in for API Gateway's management API, which cannot run on this
// machine (tests/keys.test.ts): the SDK client's request handler — the
// transport, after the SDK has serialized and signed the request — records
// it and answers from a small in-memory model of keys, plans and usage, in
// API Gateway's REST wire format ("item" lists, epoch-second dates, a
// "values" map of [used, remaining] pairs per key for GetUsage). A
// middleware records each operation's name.
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';

export interface Recorded {
  operation: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body?: Record<string, unknown>;
  signed: boolean;
}

export interface FakeKey {
  id: string;
  name: string;
  value: string;
  enabled: boolean;
  createdDate: number;
  tags: Record<string, string>;
  description?: string;
}

export class FakeApiGateway {
  readonly recorded: Recorded[] = [];
  readonly keys: FakeKey[] = [];
  readonly planKeys: { usagePlanId: string; keyId: string }[] = [];
  readonly usage = new Map<string, number[][]>();
  /** An operation to fail once, with API Gateway's error shape. */
  failNext?: { operation: string; status: number; type: string };
  private operations: string[] = [];
  private seq = 0;
  readonly plans = [
    { id: 'planfree01', name: 'ml-inference-free-prod', throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10000, offset: 0, period: 'MONTH' } },
    { id: 'planpro001', name: 'ml-inference-pro-prod', throttle: { rateLimit: 100, burstLimit: 200 }, quota: { limit: 5000000, offset: 0, period: 'MONTH' } },
    { id: 'planfreedv', name: 'ml-inference-free-dev', throttle: { rateLimit: 5, burstLimit: 10 }, quota: { limit: 10000, offset: 0, period: 'MONTH' } },
  ];

  constructor(private readonly now: () => number) {}

  client(): APIGatewayClient {
    const client = new APIGatewayClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
      requestHandler: { handle: async (request: { method: string; path: string; query?: Record<string, string | string[] | null>; body?: unknown; headers: Record<string, string> }) => ({ response: this.answer(request) }) },
    });
    client.middlewareStack.add((next, context) => async (args) => {
      this.operations.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    }, { step: 'initialize', name: 'recordOperation' });
    return client;
  }

  private json(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
    return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)) };
  }

  private wire(key: FakeKey, withValue: boolean) {
    const { value, ...rest } = key;
    return { ...rest, ...(withValue ? { value } : {}), createdDate: key.createdDate / 1000 };
  }

  private answer(request: { method: string; path: string; query?: Record<string, string | string[] | null>; body?: unknown; headers: Record<string, string> }) {
    const query = Object.fromEntries(Object.entries(request.query ?? {}).map(([k, v]) => [k, String(v)]));
    // The SDK hands the transport a JSON body as bytes.
    const text = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : typeof request.body === 'string' ? request.body : '';
    const body = text !== '' ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const route = decodeURIComponent(request.path);
    const operation = this.operations.shift() ?? '?';
    this.recorded.push({ operation, method: request.method, path: route, query, ...(body ? { body } : {}), signed: /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/eu-west-1\/apigateway\/aws4_request/.test(request.headers.authorization ?? '') });
    if (this.failNext?.operation === operation) {
      const { status, type } = this.failNext;
      this.failNext = undefined;
      return this.json(status, { message: `stand-in ${type}` }, { 'x-amzn-errortype': type });
    }
    let m: RegExpExecArray | null;
    if (request.method === 'GET' && route === '/usageplans') {
      // GetUsagePlans by keyId: the plans the key is on.
      const plans = query.keyId ? this.plans.filter((p) => this.planKeys.some((k) => k.usagePlanId === p.id && k.keyId === query.keyId)) : this.plans;
      return this.json(200, { item: plans });
    }
    if (request.method === 'GET' && route === '/apikeys') {
      const withValue = query.includeValues === 'true';
      return this.json(200, { item: this.keys.filter((k) => k.name.startsWith(query.name ?? '')).map((k) => this.wire(k, withValue)) });
    }
    if (request.method === 'POST' && route === '/apikeys') {
      const key: FakeKey = { id: `key${String(++this.seq).padStart(7, '0')}`, name: String(body!.name), // As API Gateway does: the value the request gives, else one of its own.
        value: typeof body!.value === 'string' ? body!.value : `VALUE${this.seq}${'x'.repeat(34)}`, enabled: body!.enabled === true, createdDate: this.now(), tags: (body!.tags ?? {}) as Record<string, string>, description: String(body!.description) };
      this.keys.push(key);
      return this.json(201, this.wire(key, true));
    }
    if (request.method === 'POST' && (m = /^\/usageplans\/([^/]+)\/keys$/.exec(route))) {
      this.planKeys.push({ usagePlanId: m[1]!, keyId: String(body!.keyId) });
      return this.json(201, { id: body!.keyId, type: 'API_KEY' });
    }
    if (request.method === 'PATCH' && (m = /^\/apikeys\/([^/]+)$/.exec(route))) {
      const key = this.keys.find((k) => k.id === m![1])!;
      for (const op of body!.patchOperations as { path: string; value: string }[]) if (op.path === '/enabled') key.enabled = op.value === 'true';
      return this.json(200, this.wire(key, false));
    }
    if (request.method === 'PUT' && (m = /^\/tags\/arn:aws:apigateway:eu-west-1::\/apikeys\/([^/]+)$/.exec(route))) {
      Object.assign(this.keys.find((k) => k.id === m![1])!.tags, body!.tags);
      return { statusCode: 204, headers: {}, body: Buffer.alloc(0) };
    }
    if (request.method === 'DELETE' && (m = /^\/apikeys\/([^/]+)$/.exec(route))) {
      this.keys.splice(this.keys.findIndex((k) => k.id === m![1]), 1);
      return { statusCode: 202, headers: {}, body: Buffer.alloc(0) };
    }
    if (request.method === 'GET' && (m = /^\/usageplans\/([^/]+)\/usage$/.exec(route))) {
      const values = query.keyId && this.usage.has(query.keyId) ? { [query.keyId]: this.usage.get(query.keyId) } : {};
      return this.json(200, { usagePlanId: m[1], startDate: query.startDate, endDate: query.endDate, values });
    }
    return this.json(404, { message: `stand-in has no ${request.method} ${route}` }, { 'x-amzn-errortype': 'NotFoundException' });
  }

  /** What was sent since the last call; throws if one was not signed with SigV4 for apigateway in eu-west-1. */
  take(): Omit<Recorded, 'signed'>[] {
    const taken = this.recorded.splice(0);
    const unsigned = taken.filter((r) => !r.signed);
    if (unsigned.length > 0) throw new Error(`not signed for API Gateway: ${unsigned.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    return taken.map(({ signed: _, ...r }) => r);
  }
}

