import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { startCapturedLocalApi } from '../helpers/local-api';
import { isErrorBody } from '../helpers/error-body';
import { resourcesOfType, template } from './artifacts';

/**
 * `npm start` with the access params (README, "Access", "Limits that explain
 * themselves"): the resource policy of --param=allowedCidrs enforced on the
 * caller's address (127.0.0.1 here), the issue's 40 parallel calls on one
 * key over the functions' reserved concurrency, and a WAF template refused.
 */

/** A GatewayResponse of the compiled local template, as API Gateway renders it for one request. */
function rendered(type: string, requestId: string): string {
  const found = resourcesOfType(template('local'), 'AWS::ApiGateway::GatewayResponse').find(([, g]) => g.Properties.ResponseType === type);
  if (!found) throw new Error(`no ${type} GatewayResponse in the local template`);
  return String(found[1].Properties.ResponseTemplates['application/json']).replaceAll('$context.requestId', requestId);
}

const answer = async (res: Response) => ({ status: res.status, body: await res.text(), id: res.headers.get('x-amzn-requestid')!, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type') });

describe('npm start with allowedCidrs that exclude 127.0.0.1', () => {
  let local: LocalApi | undefined;

  beforeAll(async () => {
    local = await startCapturedLocalApi({ params: ['allowedCidrs=203.0.113.0/24,10.0.0.0/8'] });
  }, 180_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
  });

  it('says so when it starts', () => {
    expect(local!.log.join('')).toContain('Resource policy (param allowedCidrs), on the caller\'s address: Allow from anywhere; Deny from outside 203.0.113.0/24, 10.0.0.0/8');
  });

  it('answers every route, keyed or public, with or without a key, 403 in the ACCESS_DENIED body', async () => {
    const key = local!.keys['ml-inference-local-pro']!;
    const calls: [string, RequestInit][] = [
      ['/health', { headers: { 'x-api-key': key } }],
      ['/health', {}],
      ['/predict', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{}' }],
      ['/openapi.json', {}],
      ['/docs', {}],
      // CORS preflight too: the policy covers every method.
      ['/predict', { method: 'OPTIONS' }],
    ];
    for (const [path, init] of calls) {
      const a = await answer(await fetch(`${local!.base}${path}`, init));
      expect({ path, method: init.method ?? 'GET', status: a.status }).toEqual({ path, method: init.method ?? 'GET', status: 403 });
      expect(a.type).toBe('application/json');
      expect(a.body).toBe(rendered('ACCESS_DENIED', a.id));
      expect(isErrorBody(JSON.parse(a.body))).toBe(true);
      expect(JSON.parse(a.body).code).toBe('access_denied');
    }
    // A route that does not exist is still API Gateway's 404.
    expect((await fetch(`${local!.base}/no/such/route`)).status).toBe(404);
  });

  it('believes the connection, not an X-Forwarded-For header', async () => {
    const res = await fetch(`${local!.base}/health`, { headers: { 'x-api-key': local!.keys['ml-inference-local-pro']!, 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(403);
  });

  it('logs the refusal in the access line, with its error type', async () => {
    const res = await fetch(`${local!.base}/health`);
    const id = res.headers.get('x-amzn-requestid')!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const line = local!.log.join('').split('\n').find((l) => l.includes(`"requestId":"${id}"`));
    expect(JSON.parse(line!)).toMatchObject({ status: 403, errorType: 'ACCESS_DENIED', resourcePath: '/health' });
  });
});

describe('npm start with allowedCidrs that include 127.0.0.1', () => {
  let local: LocalApi | undefined;

  beforeAll(async () => {
    local = await startCapturedLocalApi({ params: ['allowedCidrs=203.0.113.0/24,127.0.0.0/8'] });
  }, 180_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
  });

  it('serves as without a policy: 200 with a key, the key still required', async () => {
    const key = local!.keys['ml-inference-local-pro']!;
    expect((await fetch(`${local!.base}/health`, { headers: { 'x-api-key': key } })).status).toBe(200);
    const without = await answer(await fetch(`${local!.base}/health`));
    expect(without.status).toBe(403);
    expect(without.body).toBe(rendered('INVALID_API_KEY', without.id));
    expect((await fetch(`${local!.base}/openapi.json`)).status).toBe(200);
  });

  it("answers the issue's 40 parallel calls on the pro key with 200 or the function's concurrency limit (500, function_unavailable, Retry-After), never a bare 500", async () => {
    const key = local!.keys['ml-inference-local-pro']!;
    // Warm the function once, as a client's first call does.
    expect((await fetch(`${local!.base}/v2/health/live`, { headers: { 'x-api-key': key } })).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 40 }, async () => answer(await fetch(`${local!.base}/v2/health/live`, { headers: { 'x-api-key': key } }))));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    process.stdout.write(`40 parallel calls, reserved concurrency 6: ${ok.length} × 200, ${refused.length} × ${[...new Set(refused.map((a) => a.status))].join('/')}\n`);
    expect(ok.length).toBeGreaterThanOrEqual(6);
    // 40 at once on a function that serves 6 at a time: some are refused.
    expect(refused.length).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.status).toBe(500);
      expect(a.body).toBe(rendered('INTEGRATION_FAILURE', a.id));
      expect(JSON.parse(a.body)).toMatchObject({ code: 'function_unavailable', error: expect.stringContaining('concurrency limit') });
      expect(a.retryAfter).toBe('1');
    }
    // After the Retry-After, the function answers again.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await fetch(`${local!.base}/v2/health/live`, { headers: { 'x-api-key': key } })).status).toBe(200);
  });

  it('sends Retry-After with every 429 of a usage plan', async () => {
    const key = local!.keys['ml-inference-local-free']!;
    const answers = [];
    for (let i = 0; i < 14; i += 1) answers.push(await answer(await fetch(`${local!.base}/v2/health/live`, { headers: { 'x-api-key': key } })));
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const a of throttled) {
      expect(a.body).toBe(rendered('THROTTLED', a.id));
      expect(a.retryAfter).toBe('1');
    }
  });
});

describe('npm start with the waf param on', () => {
  it('refuses to start: the local gateway does not emulate AWS WAF', async () => {
    await expect(startLocalApi({ params: ['waf=true'], timeoutMs: 180_000 })).rejects.toThrow(/AWS WAF is not emulated by the local gateway; start without --param=waf=true/);
  }, 200_000);
});
