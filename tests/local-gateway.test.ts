import path from 'node:path';
// The local gateway's pieces on their own: the usage plan's token bucket and
// quota (on a clock the test moves), route matching, the access line.
import { accessLine } from '../scripts/local-gateway/access-line';
import { matchTemplate } from '../scripts/local-gateway/proxy-event';
import { localKeyId } from '../scripts/local-gateway/gateway-spec';
import { periodStart, UsageLimits } from '../scripts/local-gateway/usage-limits';

const plan = (rateLimit: number, burstLimit: number, quota?: number) => ({
  name: 'p',
  rateLimit,
  burstLimit,
  quota: quota === undefined ? undefined : { limit: quota, period: 'MONTH' as const },
});

function clock(start = Date.UTC(2026, 10, 23, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('a usage plan for one key', () => {
  it('lets a burst of burstLimit through at once, then refuses: THROTTLED', () => {
    const c = clock();
    const limits = new UsageLimits(plan(5, 10), c.now);
    const verdicts = Array.from({ length: 12 }, () => limits.take());
    expect(verdicts.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(verdicts.slice(10)).toEqual(['THROTTLED', 'THROTTLED']);
  });

  it('refills at rateLimit per second, never above burstLimit', () => {
    const c = clock();
    const limits = new UsageLimits(plan(5, 10), c.now);
    for (let i = 0; i < 10; i += 1) limits.take();
    c.advance(200); // one token at 5/s
    expect(limits.take()).toBe('ok');
    expect(limits.take()).toBe('THROTTLED');
    c.advance(60_000); // a minute refills to the burst, not to 300
    expect(Array.from({ length: 11 }, () => limits.take()).filter((v) => v === 'ok')).toHaveLength(10);
  });

  it('counts the quota per calendar month and answers QUOTA_EXCEEDED once it is used', () => {
    const c = clock(Date.UTC(2026, 10, 30, 23, 59));
    const limits = new UsageLimits(plan(1000, 1000, 3), c.now);
    expect([limits.take(), limits.take(), limits.take(), limits.take()]).toEqual(['ok', 'ok', 'ok', 'QUOTA_EXCEEDED']);
    c.advance(60_000); // December: a new period
    expect(limits.take()).toBe('ok');
  });

  it('does not count a throttled request against the quota', () => {
    const c = clock();
    const limits = new UsageLimits(plan(1, 1, 2), c.now);
    expect([limits.take(), limits.take()]).toEqual(['ok', 'THROTTLED']);
    c.advance(1000);
    expect(limits.take()).toBe('ok');
    c.advance(1000);
    expect(limits.take()).toBe('QUOTA_EXCEEDED');
  });

  it('starts weeks on Monday and days at 00:00 UTC', () => {
    const wednesday = Date.UTC(2026, 10, 25, 15, 30);
    expect(new Date(periodStart('WEEK', wednesday)).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(new Date(periodStart('DAY', wednesday)).toISOString()).toBe('2026-11-25T00:00:00.000Z');
    expect(new Date(periodStart('MONTH', wednesday)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('route matching', () => {
  it('fills path parameters, decoded, and refuses other shapes', () => {
    expect(matchTemplate('/models/{name}/predict', '/models/churn%20x/predict')).toEqual({
      template: '/models/{name}/predict',
      pathParameters: { name: 'churn x' },
    });
    expect(matchTemplate('/predict', '/predict')).toEqual({ template: '/predict', pathParameters: null });
    expect(matchTemplate('/models/{name}/predict', '/models//predict')).toBeUndefined();
    expect(matchTemplate('/models/{name}/predict', '/models/churn/predict/x')).toBeUndefined();
    expect(matchTemplate('/models/{name}', '/models/%E0%A4%A')).toBeUndefined();
  });
});

describe('key ids', () => {
  it('are stable per key name and differ between keys', () => {
    expect(localKeyId('ml-inference-local-free')).toBe(localKeyId('ml-inference-local-free'));
    expect(localKeyId('ml-inference-local-free')).not.toBe(localKeyId('ml-inference-local-pro'));
    expect(localKeyId('ml-inference-local-pro')).toMatch(/^[0-9a-z]{10}$/);
  });
});

describe('the access line', () => {
  it('fills the stage format, with "-" for what a request did not have', () => {
    const line = accessLine('{"id":"$context.requestId","key":"$context.identity.apiKeyId","status":$context.status,"err":"$context.error.responseType"}', {
      requestId: 'r1',
      httpMethod: 'GET',
      started: 0,
      status: 403,
      errorType: 'INVALID_API_KEY',
    });
    expect(JSON.parse(line)).toEqual({ id: 'r1', key: '-', status: 403, err: 'INVALID_API_KEY' });
  });

  it('refuses a format variable it cannot fill, rather than writing it raw', () => {
    expect(() => accessLine('$context.identity.sourceIp', { requestId: 'r', httpMethod: 'GET', started: 0 })).toThrow(/sourceIp/);
  });
});

describe("the local functions' settings (npm start)", () => {
  it('read the models folder itself, not the copy under .esbuild/.build, unless the shell names another', () => {
    const { functionSettings } = require('../scripts/local-gateway/function-settings') as typeof import('../scripts/local-gateway/function-settings');
    expect(functionSettings('/project', {})).toEqual({ MODELS_DIR: '/project/models', CAPTURE_DIR: '/project/captures' });
    expect(functionSettings('/project', { MODELS_DIR: '/elsewhere', MAX_BATCH: '3' })).toEqual({ MODELS_DIR: '/elsewhere', MAX_BATCH: '3', CAPTURE_DIR: '/project/captures' });
    // The shell's CAPTURE_DIR, absolute: the workers' working folder is not the shell's.
    expect(functionSettings('/project', { CAPTURE_DIR: 'here' }).CAPTURE_DIR).toBe(path.resolve('here'));
  });
});
