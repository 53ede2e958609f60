import { sha256Hex } from '../lib/sha256';
import { callerId } from '../lib/caller';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXPIRES_TAG as HANDLER_EXPIRES_TAG, expireKeys } from '../handlers/key-expiry';
import { freePort } from '../scripts/free-port';
import { AwsKeys } from '../scripts/keys/aws';
import { LocalKeys } from '../scripts/keys/local';
import { runKeys } from '../scripts/keys/main';
import { customerKeyName, EXPIRES_TAG, parseDuration, serviceName, shortPlanName, usagePlanName } from '../scripts/keys/naming';
import {
  createCustomerKey,
  CustomerKeys,
  customerKeyId,
  customerPlans,
  keyStatus,
  KEYS_FILE,
  localClock,
  readKeysFile,
  revokeCustomer,
  rotateCustomer,
  USAGE_FILE,
  writeKeysFile,
  type KeysFile,
} from '../scripts/local-gateway/customer-keys';
import { LocalGateway } from '../scripts/local-gateway/gateway-server';
import type { GatewaySpec, Plan } from '../scripts/local-gateway/gateway-spec';
import { FakeApiGateway, type FakeKey } from './helpers/api-gateway-stand-in';
import { captureOutput } from './helpers/log-lines';
import { changeSettings } from './helpers/settings';

/**
 * Customer keys as data (README, "Access"): the local stage's file store on
 * an injected clock (creation, revocation, rotation and its grace, the
 * gateway's re-reading, usage counting, quotas that outlive a restart), the
 * local gateway accepting them with the customer's stable apiKeyId, the
 * `npm run keys` commands on the local stage, and every command's AWS path.
 *
 * The AWS path runs the real SDK client (@aws-sdk/client-api-gateway: its
 * serialization, SigV4 signing and parsing) against a stand-in for API
 * Gateway's management API, which cannot run on this machine
 * (tests/helpers/api-gateway-stand-in.ts): the client's request handler
 * records each signed HTTP request and answers it from a small in-memory
 * model of keys, plans and usage, and a middleware records each operation's
 * name. What is proven is the requests the commands send
 * (operation, method, path, query, body) and what they print; not how the
 * real service answers them.
 */

const root = path.resolve(__dirname, '..');
const SERVICE = serviceName(root);
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const HOUR = 3_600_000;

const plan = (name: string, rateLimit: number, burstLimit: number, limit: number): Plan => ({ name: `${SERVICE}-${name}-local`, rateLimit, burstLimit, quota: { limit, period: 'MONTH' } });
const PLANS = new Map([
  ['free', plan('free', 5, 10, 10_000)],
  ['pro', plan('pro', 100, 200, 5_000_000)],
]);
const EMPTY: KeysFile = { version: 1, customers: [] };

function scratch(): string {
  return mkdtempSync(path.join(tmpdir(), 'keys-test-'));
}

describe('names and durations', () => {
  it('names usage plans as the Serverless Framework does, and reads the short name back', () => {
    expect(usagePlanName('ml-inference', 'free', 'dev')).toBe('ml-inference-free-dev');
    expect(shortPlanName('ml-inference-free-dev', 'ml-inference', 'dev')).toBe('free');
    expect(shortPlanName('ml-inference-free-prod', 'ml-inference', 'dev')).toBeUndefined();
    expect(shortPlanName('other-free-dev', 'ml-inference', 'dev')).toBeUndefined();
    expect(customerKeyName('ml-inference', 'prod', 'acme')).toBe('ml-inference-prod-customer-acme');
  });

  it('reads the template plans by short name', () => {
    const resources = {
      ApiGatewayUsagePlanFree: { Type: 'AWS::ApiGateway::UsagePlan', Properties: { UsagePlanName: 'ml-inference-free-local', Throttle: { RateLimit: 5, BurstLimit: 10 }, Quota: { Limit: 3, Period: 'MONTH' } } },
      ApiGatewayUsagePlanPro: { Type: 'AWS::ApiGateway::UsagePlan', Properties: { UsagePlanName: 'ml-inference-pro-local', Throttle: { RateLimit: 100, BurstLimit: 200 } } },
    };
    const plans = customerPlans(resources, 'ml-inference', 'local');
    expect([...plans.keys()]).toEqual(['free', 'pro']);
    expect(plans.get('free')).toEqual({ name: 'ml-inference-free-local', rateLimit: 5, burstLimit: 10, quota: { limit: 3, period: 'MONTH' } });
  });

  it('takes durations with a unit, and 0', () => {
    expect(['24h', '90m', '2d', '1.5s', '1h2s', '250ms', '0'].map(parseDuration)).toEqual([86_400_000, 5_400_000, 172_800_000, 1500, 3_602_000, 250, 0]);
    for (const bad of ['', '24', '-1h', 'h', '1 week', '1y', '1h 2s', 'x1h']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });

  it('is the one tag name for a rotated key, in the CLI and in the key-expiry function', () => {
    expect(HANDLER_EXPIRES_TAG).toBe(EXPIRES_TAG);
  });
});

describe('the local file store, on an injected clock', () => {
  it("creates a key: a value carrying the customer's id (lib/caller.ts), only its SHA-256 kept, the customer id stable", () => {
    const { data, value, key, customer } = createCustomerKey(EMPTY, 'acme', 'free', T0);
    expect(value).toMatch(new RegExp(`^mlk_${customerKeyId('acme')}_[A-Za-z0-9]{32}$`));
    expect(callerId(value, 'some-key-id')).toBe(customerKeyId('acme'));
    expect(key).toEqual({ id: expect.stringMatching(/^[0-9a-z]{10}$/), sha256: sha256Hex(value), created: new Date(T0).toISOString(), expires: null });
    expect(customer).toMatchObject({ customer: 'acme', plan: 'free', id: customerKeyId('acme') });
    expect(JSON.stringify(data)).not.toContain(value);
    expect(EMPTY.customers).toHaveLength(0); // the input is not changed
    // Two creations never share a value or an id.
    const other = createCustomerKey(EMPTY, 'acme', 'free', T0);
    expect(other.value).not.toBe(value);
    expect(other.key.id).not.toBe(key.id);
  });

  it('refuses a second working key for a customer and bad customer ids', () => {
    const { data } = createCustomerKey(EMPTY, 'acme', 'free', T0);
    expect(() => createCustomerKey(data, 'acme', 'pro', T0)).toThrow(/already has a working key .*rotate/);
    for (const bad of ['', '-acme', '__proto__', 'a b', 'x'.repeat(65), 'ac/me']) expect(() => createCustomerKey(EMPTY, bad, 'free', T0)).toThrow(/customer id/);
  });

  it('revokes every key of a customer; a new key later keeps the customer id', () => {
    const first = createCustomerKey(EMPTY, 'acme', 'free', T0);
    const { data, revoked } = revokeCustomer(first.data, 'acme', T0 + 1000);
    expect(revoked.map((k) => k.id)).toEqual([first.key.id]);
    expect(keyStatus(data.customers[0]!.keys[0]!, T0 + 1000)).toBe('revoked');
    const again = createCustomerKey(data, 'acme', 'pro', T0 + 2000);
    expect(again.customer).toMatchObject({ id: first.customer.id, plan: 'pro' });
    expect(() => revokeCustomer(EMPTY, 'nobody', T0)).toThrow(/no customer nobody/);
  });

  it('rotates: the old key works until the grace ends, then is expired; the new one works', () => {
    const first = createCustomerKey(EMPTY, 'acme', 'free', T0);
    const rotated = rotateCustomer(first.data, 'acme', 24 * HOUR, T0 + HOUR);
    const [old, fresh] = rotated.data.customers[0]!.keys;
    expect(old!.expires).toBe(new Date(T0 + 25 * HOUR).toISOString());
    expect(rotated.retiring.map((k) => k.id)).toEqual([first.key.id]);
    expect([keyStatus(old!, T0 + 25 * HOUR - 1), keyStatus(old!, T0 + 25 * HOUR)]).toEqual(['active', 'expired']);
    expect(keyStatus(fresh!, T0 + 1000 * HOUR)).toBe('active');
    // Rotating again soon: the oldest key keeps its own, earlier end.
    const twice = rotateCustomer(rotated.data, 'acme', 48 * HOUR, T0 + 2 * HOUR);
    expect(twice.data.customers[0]!.keys.map((k) => k.expires)).toEqual([new Date(T0 + 25 * HOUR).toISOString(), new Date(T0 + 50 * HOUR).toISOString(), null]);
    // Grace 0: refused at once.
    const now = rotateCustomer(first.data, 'acme', 0, T0 + HOUR);
    expect(keyStatus(now.data.customers[0]!.keys[0]!, T0 + HOUR)).toBe('expired');
  });

  it('refuses a malformed file, naming what is wrong, and reads a missing one as empty', () => {
    const dir = scratch();
    try {
      const file = path.join(dir, KEYS_FILE);
      expect(readKeysFile(file)).toEqual(EMPTY);
      writeFileSync(file, '{"version":1,"customers":[{"customer":"acme"}]}');
      expect(() => readKeysFile(file)).toThrow(/customers\[0\]: expected \{customer, id, plan, created, keys\}/);
      writeFileSync(file, 'not json');
      expect(() => readKeysFile(file)).toThrow(/not JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the local gateway view of the file (CustomerKeys)', () => {
  let dir: string;
  let now: number;
  const file = () => path.join(dir, KEYS_FILE);
  const view = (log?: (line: string) => void) => new CustomerKeys({ folder: dir, plans: PLANS, clock: () => now, log });

  beforeEach(() => {
    dir = scratch();
    now = T0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a created key from the next lookup, with its plan and the customer id as apiKeyId; refuses it once revoked', () => {
    const keys = view();
    expect(keys.find('nothing-yet')).toBeUndefined();
    const created = createCustomerKey(readKeysFile(file()), 'acme', 'free', now);
    writeKeysFile(file(), created.data);
    const found = keys.find(created.value)!;
    expect(found.key).toEqual({ id: customerKeyId('acme'), name: 'customer acme', value: created.value, plan: PLANS.get('free') });
    // The free plan's burst of 10, then THROTTLED.
    expect(Array.from({ length: 11 }, () => keys.find(created.value)!.limits.take())).toEqual([...Array(10).fill('ok'), 'THROTTLED']);
    writeKeysFile(file(), revokeCustomer(readKeysFile(file()), 'acme', now).data);
    expect(keys.find(created.value)).toBeUndefined();
  });

  it('during a rotation: both keys carry the same apiKeyId; the old one is refused once the grace ends', () => {
    const keys = view();
    const created = createCustomerKey(EMPTY, 'acme', 'pro', now);
    const rotated = rotateCustomer(created.data, 'acme', HOUR, now);
    writeKeysFile(file(), rotated.data);
    expect(keys.find(created.value)!.key.id).toBe(keys.find(rotated.value)!.key.id);
    now += HOUR - 1;
    expect(keys.find(created.value)).toBeDefined();
    now += 1;
    expect(keys.find(created.value)).toBeUndefined();
    expect(keys.find(rotated.value)).toBeDefined();
  });

  it('counts each request let through per customer, key and day, on disk at once; a restart resumes the quota from it', () => {
    const small = new Map([['free', { ...PLANS.get('free')!, rateLimit: 1000, burstLimit: 1000, quota: { limit: 5, period: 'MONTH' as const } }]]);
    const created = createCustomerKey(EMPTY, 'acme', 'free', now);
    writeKeysFile(file(), created.data);
    const first = new CustomerKeys({ folder: dir, plans: small, clock: () => now });
    for (let i = 0; i < 3; i += 1) {
      const found = first.find(created.value)!;
      expect(found.limits.take()).toBe('ok');
      found.counted();
    }
    now += 24 * HOUR;
    const found = first.find(created.value)!;
    found.limits.take();
    found.counted();
    const usage = JSON.parse(readFileSync(path.join(dir, USAGE_FILE), 'utf8'));
    expect(usage).toEqual({ version: 1, customers: { acme: { [created.key.id]: { '2026-12-03': 3, '2026-12-04': 1 } } } });
    // A new gateway (npm start again): 4 of the 5 are used this month.
    const second = new CustomerKeys({ folder: dir, plans: small, clock: () => now });
    const limits = second.find(created.value)!.limits;
    expect([limits.take(), limits.take()]).toEqual(['ok', 'QUOTA_EXCEEDED']);
  });

  it('refuses, and says once, a customer on a plan the template lacks; keeps the last good file when a hand edit breaks it', () => {
    const lines: string[] = [];
    const keys = view((line) => lines.push(line));
    const created = createCustomerKey(EMPTY, 'acme', 'gold', now);
    writeKeysFile(file(), created.data);
    expect(keys.find(created.value)).toBeUndefined();
    expect(keys.find(created.value)).toBeUndefined();
    expect(lines).toEqual([expect.stringContaining('customer acme is on plan gold, which the template does not have (free, pro)')]);
    const good = createCustomerKey(EMPTY, 'beta', 'free', now);
    writeKeysFile(file(), good.data);
    expect(keys.find(good.value)).toBeDefined();
    writeFileSync(file(), '{ broken');
    expect(keys.find(good.value)).toBeDefined();
    expect(lines.at(-1)).toMatch(/not JSON .*keeping the 1 customers read before/);
  });

  it("moves the local clock by the shift file's duration, re-read when the file changes", () => {
    const shift = path.join(dir, 'shift');
    const clock = localClock({ LOCAL_GATEWAY_TIME_SHIFT_FILE: shift });
    expect(Math.abs(clock() - Date.now())).toBeLessThan(1000);
    writeFileSync(shift, '25h');
    expect(clock() - Date.now()).toBeGreaterThan(25 * HOUR - 1000);
    // Not a duration (or half written): the shift stays.
    writeFileSync(shift, '25 hours');
    expect(clock() - Date.now()).toBeGreaterThan(25 * HOUR - 1000);
    writeFileSync(shift, '0');
    expect(Math.abs(clock() - Date.now())).toBeLessThan(1000);
    expect(localClock({})).toBe(Date.now);
  });
});

describe('the local gateway with customer keys (LocalGateway, moreKeys)', () => {
  let dir: string;
  let now: number;
  let lambda: Server;
  let gateway: LocalGateway;
  let base: string;
  const events: { apiKeyId: string | null; apiKey: string | null }[] = [];

  beforeAll(async () => {
    dir = scratch();
    now = T0;
    // Stands in for serverless-offline's Lambda Invoke endpoint: records the event's identity, answers 200.
    lambda = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        const identity = JSON.parse(body).requestContext.identity;
        events.push({ apiKeyId: identity.apiKeyId, apiKey: identity.apiKey });
        response.end(JSON.stringify({ statusCode: 200, body: '{"status":"ok"}' }));
      });
    });
    const lambdaPort = await new Promise<number>((resolve) => lambda.listen(0, '127.0.0.1', () => resolve((lambda.address() as AddressInfo).port)));
    const spec: GatewaySpec = {
      stage: 'local',
      routes: [{ method: 'GET', template: '/health', apiKeyRequired: true, integration: { type: 'lambda', functionName: 'health' } }],
      keys: [{ id: 'templatekey', name: 'ml-inference-local-free', value: 'local-free-key-not-a-secret', plan: PLANS.get('free')! }],
      responses: new Map(),
      functions: new Map([['health', { name: 'health' }]]),
      binaryMediaTypes: ['*/*'],
    };
    gateway = new LocalGateway({ spec, lambdaPort, moreKeys: new CustomerKeys({ folder: dir, plans: PLANS, clock: () => now }) });
    base = `http://127.0.0.1:${await gateway.listen(await freePort())}/local`;
  });

  afterAll(async () => {
    await gateway.close();
    await new Promise((resolve) => lambda.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (key: string) => (await fetch(`${base}/health`, { headers: { 'x-api-key': key } })).status;

  it('accepts a key written to the file from the next request, gives every key of the customer its id, refuses an expired or revoked one', async () => {
    const file = path.join(dir, KEYS_FILE);
    const created = createCustomerKey(EMPTY, 'acme', 'pro', now);
    expect(await status(created.value)).toBe(403);
    writeKeysFile(file, created.data);
    expect(await status(created.value)).toBe(200);
    const rotated = rotateCustomer(created.data, 'acme', HOUR, now);
    writeKeysFile(file, rotated.data);
    expect([await status(created.value), await status(rotated.value)]).toEqual([200, 200]);
    now += HOUR;
    expect([await status(created.value), await status(rotated.value)]).toEqual([403, 200]);
    writeKeysFile(file, revokeCustomer(rotated.data, 'acme', now).data);
    expect(await status(rotated.value)).toBe(403);
    // The template's key is untouched.
    expect(await status('local-free-key-not-a-secret')).toBe(200);
    expect(events.slice(0, 4).map((e) => e.apiKeyId)).toEqual(Array(4).fill(customerKeyId('acme')));
    expect(events.at(-1)!.apiKeyId).toBe('templatekey');
    const usage = JSON.parse(readFileSync(path.join(dir, USAGE_FILE), 'utf8'));
    expect(usage.customers.acme).toEqual({ [created.key.id]: { '2026-12-03': 2 }, [rotated.key.id]: { '2026-12-03': 2 } });
  });
});

/** runKeys with its output collected. */
async function keys(argv: string[], deps: Parameters<typeof runKeys>[2]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeys(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, deps);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run keys on the local stage', () => {
  let dir: string;
  let deps: Parameters<typeof runKeys>[2];
  const shiftFile = () => path.join(dir, 'shift');

  beforeEach(() => {
    dir = scratch();
    const env = { LOCAL_KEYS_DIR: dir, LOCAL_GATEWAY_TIME_SHIFT_FILE: shiftFile() };
    deps = { root, env, local: new LocalKeys(root, env, PLANS) };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('create --json prints {customer, plan, key, …}; list --json names customers and never a value; revoke, rotate and usage', async () => {
    const created = await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'local', '--json'], deps);
    expect(created).toMatchObject({ code: 0, err: '' });
    const issued = JSON.parse(created.out);
    expect(Object.keys(issued).slice(0, 3)).toEqual(['customer', 'plan', 'key']);
    expect(issued).toMatchObject({ customer: 'acme', plan: 'free', key: expect.stringMatching(/^mlk_[0-9a-z]{10}_[A-Za-z0-9]{32}$/), apiKeyId: customerKeyId('acme'), stage: 'local' });
    expect(readFileSync(path.join(dir, KEYS_FILE), 'utf8')).not.toContain(issued.key);

    const second = JSON.parse((await keys(['create', '--customer', 'beta', '--plan', 'pro', '--json'], deps)).out);
    const listed = await keys(['list', '--stage', 'local', '--json'], deps);
    expect(JSON.parse(listed.out)).toEqual({
      stage: 'local',
      customers: [
        { customer: 'acme', plan: 'free', status: 'active', keys: [{ keyId: issued.keyId, status: 'active', created: expect.any(String), expires: null }] },
        { customer: 'beta', plan: 'pro', status: 'active', keys: [{ keyId: second.keyId, status: 'active', created: expect.any(String), expires: null }] },
      ],
    });
    for (const output of [listed.out, (await keys(['list'], deps)).out]) for (const value of [issued.key, second.key]) expect(output).not.toContain(value);

    const rotated = await keys(['rotate', 'acme', '--grace', '2h'], deps);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/Rotated customer acme: a new key on plan free/);
    expect(rotated.out).toMatch(new RegExp(`Key ${issued.keyId} keeps working until .* \\(grace 2h\\), then the local gateway refuses it`));
    expect((await keys(['list'], deps)).out).toMatch(new RegExp(`acme +free +active +${issued.keyId} active until `));
    // Time moves on 2 hours (the shift file): the old key is expired.
    writeFileSync(shiftFile(), '2h');
    const after = JSON.parse((await keys(['list', '--json'], deps)).out).customers[0];
    expect(after.keys.map((k: { status: string }) => k.status)).toEqual(['expired', 'active']);

    const revoked = await keys(['revoke', 'beta', '--stage', 'local'], deps);
    expect(revoked).toMatchObject({ code: 0, out: `Revoked customer beta on stage local: key ${second.keyId} refused from now on (a running npm start refuses them from its next request).` });
    expect(JSON.parse((await keys(['list', '--json'], deps)).out).customers[1].status).toBe('revoked');
  });

  it('usage: requests per day from the counters the gateway wrote, against the plan quota', async () => {
    const issued = JSON.parse((await keys(['create', '--customer', 'acme', '--plan', 'free', '--json'], deps)).out);
    const counters = { version: 1, customers: { acme: { [issued.keyId]: { '2026-12-01': 4, '2026-12-03': 7 }, oldkey0000: { '2026-11-30': 2 } } } };
    writeFileSync(path.join(dir, USAGE_FILE), JSON.stringify(counters));
    const report = JSON.parse((await keys(['usage', 'acme', '--from', '2026-11-30', '--to', '2026-12-03', '--json'], deps)).out);
    expect(report).toMatchObject({
      customer: 'acme',
      plan: 'free',
      quota: { limit: 10_000, period: 'MONTH' },
      days: [
        { day: '2026-11-30', requests: 2 },
        { day: '2026-12-01', requests: 4 },
        { day: '2026-12-02', requests: 0 },
        { day: '2026-12-03', requests: 7 },
      ],
      total: 13,
    });
    const text = (await keys(['usage', 'acme', '--from', '2026-12-01', '--to', '2026-12-03'], deps)).out;
    expect(text).toContain('plan free (10000 requests per month per key), 2026-12-01 to 2026-12-03');
    expect(text).toMatch(/2026-12-03 +7\n/);
    expect(text).toMatch(/total +11\n/);
  });

  it('answers a malformed command line with its usage (2) and a refused one with the reason (1)', async () => {
    expect(await keys(['create', '--customer', 'acme'], deps)).toMatchObject({ code: 2, err: expect.stringContaining('create needs --plan <plan>') });
    expect(await keys(['rotate', 'acme', '--grace', 'soon'], deps)).toMatchObject({ code: 2, err: expect.stringContaining('--grace') });
    expect(await keys(['usage', 'acme', '--from', '2026-02-30'], deps)).toMatchObject({ code: 2, err: expect.stringContaining('expected a day') });
    expect(await keys(['explode'], deps)).toMatchObject({ code: 2, err: expect.stringContaining('unknown command') });
    expect(await keys(['create', '--customer', 'acme', '--plan', 'gold'], deps)).toMatchObject({ code: 1, err: 'keys: no usage plan gold on the local stage: the template has free, pro' });
    expect(await keys(['revoke', 'nobody'], deps)).toMatchObject({ code: 1, err: expect.stringContaining('no customer nobody') });
  });
});

describe('npm run keys on a deployed stage: the requests sent to API Gateway (stand-in)', () => {
  let now: number;
  let api: FakeApiGateway;
  let deps: Parameters<typeof runKeys>[2];

  beforeEach(() => {
    now = T0;
    api = new FakeApiGateway(() => now);
    deps = { root, env: {}, client: () => api.client(), now: () => now };
  });

  const LIST_QUERY = (name: string) => ({ name, includeValues: 'false', limit: '500' });

  it('create: GetApiKeys for the customer, GetUsagePlans, CreateApiKey named and tagged, CreateUsagePlanKey; the value printed once', async () => {
    const { code, out, err } = await keys(['create', '--customer', 'acme', '--plan', 'pro', '--stage', 'prod', '--json'], deps);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(api.take()).toEqual([
      { operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY('ml-inference-prod-customer-acme') },
      { operation: 'GetUsagePlans', method: 'GET', path: '/usageplans', query: { limit: '500' } },
      {
        operation: 'CreateApiKey',
        method: 'POST',
        path: '/apikeys',
        query: {},
        body: { name: 'ml-inference-prod-customer-acme', description: 'Customer acme, plan pro (npm run keys)', enabled: true, value: expect.stringMatching(new RegExp(`^mlk_${customerKeyId('acme')}_[A-Za-z0-9]{32}$`)), tags: { customer: 'acme', plan: 'pro' } },
      },
      { operation: 'CreateUsagePlanKey', method: 'POST', path: '/usageplans/planpro001/keys', query: {}, body: { keyId: 'key0000001', keyType: 'API_KEY' } },
    ]);
    expect(JSON.parse(out)).toEqual({ customer: 'acme', plan: 'pro', key: api.keys[0]!.value, keyId: 'key0000001', apiKeyId: customerKeyId('acme'), stage: 'prod', created: new Date(T0).toISOString() });
    // A second key for the same customer is refused before anything is created.
    expect(await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps)).toMatchObject({ code: 1, err: expect.stringContaining('already has a working key (key0000001)') });
    expect(api.take().map((r) => r.operation)).toEqual(['GetApiKeys']);
  });

  it('create: a plan the stage lacks is refused naming its plans; a key the plan refuses is deleted', async () => {
    expect(await keys(['create', '--customer', 'acme', '--plan', 'gold', '--stage', 'prod'], deps)).toMatchObject({
      code: 1,
      err: 'keys: no usage plan ml-inference-gold-prod on API Gateway: stage prod has free, pro',
    });
    api.take();
    api.failNext = { operation: 'CreateUsagePlanKey', status: 409, type: 'ConflictException' };
    expect(await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps)).toMatchObject({ code: 1, err: 'keys: ConflictException: stand-in ConflictException' });
    expect(api.take().slice(-2)).toEqual([
      { operation: 'CreateUsagePlanKey', method: 'POST', path: '/usageplans/planfree01/keys', query: {}, body: { keyId: 'key0000001', keyType: 'API_KEY' } },
      { operation: 'DeleteApiKey', method: 'DELETE', path: '/apikeys/key0000001', query: {} },
    ]);
    expect(api.keys).toEqual([]);
  });

  it('list: GetApiKeys by the stage prefix with includeValues=false; never a value, even one the answer carried', async () => {
    await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps);
    await keys(['create', '--customer', 'beta', '--plan', 'pro', '--stage', 'prod'], deps);
    // A key of another stage and a template key: not customers of prod.
    api.keys.push({ id: 'devkey0001', name: 'ml-inference-dev-customer-acme', value: 'DEVVALUE'.repeat(5), enabled: true, createdDate: T0, tags: { customer: 'acme', plan: 'free' } });
    api.keys.push({ id: 'tplkey0001', name: 'ml-inference-prod-free', value: 'TPLVALUE'.repeat(5), enabled: true, createdDate: T0, tags: {} });
    api.take();
    const listed = await keys(['list', '--stage', 'prod', '--json'], deps);
    expect(api.take()).toEqual([{ operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY('ml-inference-prod-customer-') }]);
    expect(JSON.parse(listed.out)).toEqual({
      stage: 'prod',
      customers: [
        { customer: 'acme', plan: 'free', status: 'active', keys: [{ keyId: 'key0000001', status: 'active', created: new Date(T0).toISOString(), expires: null }] },
        { customer: 'beta', plan: 'pro', status: 'active', keys: [{ keyId: 'key0000002', status: 'active', created: new Date(T0).toISOString(), expires: null }] },
      ],
    });
    // Were API Gateway to answer values anyway, list would still print none.
    const wire = (api as unknown as { wire: (k: FakeKey, v: boolean) => unknown });
    const original = wire.wire.bind(api);
    wire.wire = (k: FakeKey) => original(k, true);
    const text = await keys(['list', '--stage', 'prod'], deps);
    for (const output of [listed.out, text.out, text.err]) for (const key of api.keys) expect(output).not.toContain(key.value);
    expect(text.out).toMatch(/^acme +free +active +key0000001 active$/m);
  });

  it('revoke: UpdateApiKey enabled=false on each working key of the customer', async () => {
    await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps);
    await keys(['rotate', 'acme', '--grace', '1h', '--stage', 'prod'], deps);
    api.take();
    const revoked = await keys(['revoke', 'acme', '--stage', 'prod', '--json'], deps);
    expect(JSON.parse(revoked.out)).toEqual({ stage: 'prod', customer: 'acme', revoked: ['key0000001', 'key0000002'] });
    const patch = (id: string) => ({ operation: 'UpdateApiKey', method: 'PATCH', path: `/apikeys/${id}`, query: {}, body: { patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] } });
    expect(api.take()).toEqual([{ operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY('ml-inference-prod-customer-acme') }, patch('key0000001'), patch('key0000002')]);
    expect(api.keys.map((k) => k.enabled)).toEqual([false, false]);
    expect(await keys(['revoke', 'nobody', '--stage', 'prod'], deps)).toMatchObject({ code: 1, err: expect.stringContaining('no customer nobody on stage prod') });
  });

  it('rotate: a new key on the same plan first, then TagResource expires-at on the old one (or UpdateApiKey at --grace 0)', async () => {
    await keys(['create', '--customer', 'acme', '--plan', 'pro', '--stage', 'prod'], deps);
    api.take();
    now = T0 + HOUR;
    const rotated = await keys(['rotate', 'acme', '--grace', '24h', '--stage', 'prod', '--json'], deps);
    const expires = new Date(T0 + 25 * HOUR).toISOString();
    expect(api.take()).toEqual([
      { operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY('ml-inference-prod-customer-acme') },
      { operation: 'GetUsagePlans', method: 'GET', path: '/usageplans', query: { limit: '500' } },
      { operation: 'CreateApiKey', method: 'POST', path: '/apikeys', query: {}, body: { name: 'ml-inference-prod-customer-acme', description: 'Customer acme, plan pro (npm run keys)', enabled: true, value: expect.stringMatching(new RegExp(`^mlk_${customerKeyId('acme')}_[A-Za-z0-9]{32}$`)), tags: { customer: 'acme', plan: 'pro' } } },
      { operation: 'CreateUsagePlanKey', method: 'POST', path: '/usageplans/planpro001/keys', query: {}, body: { keyId: 'key0000002', keyType: 'API_KEY' } },
      { operation: 'TagResource', method: 'PUT', path: '/tags/arn:aws:apigateway:eu-west-1::/apikeys/key0000001', query: {}, body: { tags: { 'expires-at': expires } } },
    ]);
    expect(JSON.parse(rotated.out)).toMatchObject({ customer: 'acme', plan: 'pro', key: api.keys[1]!.value, keyId: 'key0000002', retiring: [{ keyId: 'key0000001', expires }] });
    const text = await keys(['rotate', 'acme', '--grace', '0', '--stage', 'prod'], deps);
    const sent = api.take();
    expect(sent.map((r) => r.operation)).toEqual(['GetApiKeys', 'GetUsagePlans', 'CreateApiKey', 'CreateUsagePlanKey', 'UpdateApiKey', 'UpdateApiKey']);
    expect(sent.slice(-2).map((r) => r.path)).toEqual(['/apikeys/key0000001', '/apikeys/key0000002']);
    expect(text.out).toContain('Key key0000001 is refused from now on.');
  });

  it('usage: GetUsage per key of the customer on its plan, summed per day, with what is left of the quota', async () => {
    await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps);
    await keys(['rotate', 'acme', '--stage', 'prod'], deps);
    api.usage.set('key0000001', [[5, 9995], [0, 9995], [2, 9993]]);
    api.usage.set('key0000002', [[0, 10000], [0, 10000], [4, 9996]]);
    api.take();
    const report = await keys(['usage', 'acme', '--from', '2026-12-01', '--to', '2026-12-03', '--stage', 'prod', '--json'], deps);
    expect(api.take()).toEqual([
      { operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY('ml-inference-prod-customer-acme') },
      { operation: 'GetUsagePlans', method: 'GET', path: '/usageplans', query: { limit: '500' } },
      { operation: 'GetUsage', method: 'GET', path: '/usageplans/planfree01/usage', query: { startDate: '2026-12-01', endDate: '2026-12-03', keyId: 'key0000001' } },
      { operation: 'GetUsage', method: 'GET', path: '/usageplans/planfree01/usage', query: { startDate: '2026-12-01', endDate: '2026-12-03', keyId: 'key0000002' } },
    ]);
    expect(JSON.parse(report.out)).toEqual({
      stage: 'prod',
      customer: 'acme',
      plan: 'free',
      quota: { limit: 10000, period: 'MONTH' },
      from: '2026-12-01',
      to: '2026-12-03',
      days: [
        { day: '2026-12-01', requests: 5 },
        { day: '2026-12-02', requests: 0 },
        { day: '2026-12-03', requests: 6 },
      ],
      total: 11,
      keys: [
        { keyId: 'key0000001', status: 'active', requests: 7, remaining: 9993 },
        { keyId: 'key0000002', status: 'active', requests: 4, remaining: 9996 },
      ],
    });
  });

  it('the key-expiry function: GetApiKeys without values, UpdateApiKey enabled=false on the keys past their expires-at; its log has ids, never a value', async () => {
    await keys(['create', '--customer', 'acme', '--plan', 'free', '--stage', 'prod'], deps);
    await keys(['rotate', 'acme', '--grace', '2h', '--stage', 'prod'], deps);
    await keys(['create', '--customer', 'beta', '--plan', 'pro', '--stage', 'prod'], deps);
    api.take();
    const client = api.client();
    const prefix = 'ml-inference-prod-customer-';
    // Before the grace ends: nothing to do.
    const early = await expireKeys({ keyNamePrefix: prefix }, T0 + 2 * HOUR - 1, client);
    expect(early).toEqual({ checked: 3, disabled: [], unreadable: [] });
    expect(api.take()).toEqual([{ operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY(prefix) }]);
    // The handler loaded afresh with its logger at INFO, as deployed.
    const restore = changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' });
    let fresh!: typeof import('../handlers/key-expiry');
    jest.isolateModules(() => {
      fresh = require('../handlers/key-expiry') as typeof import('../handlers/key-expiry');
    });
    restore();
    let run!: Awaited<ReturnType<typeof expireKeys>>;
    const logged = await captureOutput(async () => {
      run = await fresh.expireKeys({ keyNamePrefix: prefix }, T0 + 2 * HOUR, client);
    });
    expect(logged.json).toEqual([expect.objectContaining({ level: 'INFO', message: 'key expiry run', checked: 3, disabled: [{ keyId: 'key0000001', customer: 'acme', expired: new Date(T0 + 2 * HOUR).toISOString() }] })]);
    expect(run.disabled).toEqual([{ keyId: 'key0000001', customer: 'acme', expired: new Date(T0 + 2 * HOUR).toISOString() }]);
    expect(api.take()).toEqual([
      { operation: 'GetApiKeys', method: 'GET', path: '/apikeys', query: LIST_QUERY(prefix) },
      { operation: 'UpdateApiKey', method: 'PATCH', path: '/apikeys/key0000001', query: {}, body: { patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] } },
    ]);
    expect(api.keys.map((k) => k.enabled)).toEqual([false, true, true]);
    for (const key of api.keys) expect(logged.text).not.toContain(key.value);
    // The old key reads as expired from now on.
    const listed = JSON.parse((await keys(['list', '--stage', 'prod', '--json'], { ...deps, now: () => T0 + 3 * HOUR })).out);
    expect(listed.customers[0].keys.map((k: { status: string }) => k.status)).toEqual(['expired', 'active']);
    await expect(expireKeys({} as never, T0, client)).rejects.toThrow(/keyNamePrefix/);
  });

  it('AwsKeys names where its keys are, and prints no value to stderr on failure', async () => {
    expect(new AwsKeys(api.client(), SERVICE, 'prod').where).toBe('API Gateway, keys named ml-inference-prod-customer-<customer>');
    api.failNext = { operation: 'GetApiKeys', status: 403, type: 'AccessDeniedException' };
    expect(await keys(['list', '--stage', 'prod'], deps)).toMatchObject({ code: 1, err: 'keys: AccessDeniedException: stand-in AccessDeniedException' });
  });
});
