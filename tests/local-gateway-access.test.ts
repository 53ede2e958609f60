// The local gateway's access pieces on their own (README, "Access"): the
// REST API's resource policy as resources/access.js writes it and the local
// gateway enforces it, what it refuses to emulate, and the Retry-After its
// usage plans compute (on a clock the test moves).
import { readSourceIpPolicy, refuseUnemulated, UnsupportedPolicy } from '../scripts/local-gateway/source-ip-policy';
import { periodEnd, UsageLimits } from '../scripts/local-gateway/usage-limits';
import { gatewayAnswer } from '../scripts/local-gateway/gateway-response';
import type { GatewaySpec } from '../scripts/local-gateway/gateway-spec';

// resources/access.js is the CommonJS file serverless.yml reads.
const access = require('../resources/access') as { parseCidrs: (text: string) => string[]; statementsFor: (cidrs: string[]) => unknown[] };

const policyOf = (cidrs: string) => {
  const statements = access.statementsFor(access.parseCidrs(cidrs));
  return statements.length === 0 ? '' : { Version: '2012-10-17', Statement: statements };
};

describe('allowedCidrs as resources/access.js reads it', () => {
  it('takes a comma-separated list of CIDRs and single addresses, v4 and v6', () => {
    expect(access.parseCidrs(' 203.0.113.0/24, 198.51.100.7,2001:db8::/32,, ')).toEqual(['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32']);
    expect(access.parseCidrs('')).toEqual([]);
    expect(access.statementsFor([])).toEqual([]);
  });

  it.each(['203.0.113.0/33', '203.0.113/24', 'example.com', '10.0.0.0/8/1', '2001:db8::/129', '10.0.0.0/-1'])('refuses %s, naming it', (entry) => {
    expect(() => access.parseCidrs(`10.0.0.0/8,${entry}`)).toThrow(JSON.stringify(entry));
  });
});

describe('the resource policy as the local gateway enforces it', () => {
  it('is absent when allowedCidrs is empty: every caller may invoke', () => {
    expect(readSourceIpPolicy(policyOf(''))).toBeUndefined();
    expect(readSourceIpPolicy(undefined)).toBeUndefined();
  });

  it('allows the listed addresses and networks and denies every other one', () => {
    const policy = readSourceIpPolicy(policyOf('203.0.113.0/24,198.51.100.7,2001:db8::/32'))!;
    for (const address of ['203.0.113.0', '203.0.113.255', '198.51.100.7', '2001:db8::1', '2001:db8:ffff::9']) expect({ address, allowed: policy.allows(address) }).toEqual({ address, allowed: true });
    for (const address of ['203.0.114.1', '198.51.100.8', '127.0.0.1', '::1', '2001:db9::1', 'not an address']) expect({ address, allowed: policy.allows(address) }).toEqual({ address, allowed: false });
    expect(policy.allows(undefined)).toBe(false);
  });

  it('compares an IPv4-mapped IPv6 connection address as IPv4, as a dual-stack socket reports it', () => {
    const policy = readSourceIpPolicy(policyOf('127.0.0.0/8'))!;
    expect(policy.allows('::ffff:127.0.0.1')).toBe(true);
    expect(policy.allows('::ffff:10.0.0.1')).toBe(false);
    expect(policy.describe()).toBe('Allow from anywhere; Deny from outside 127.0.0.0/8');
  });

  it('evaluates as IAM does: an explicit Deny wins, no Allow means no access', () => {
    const allowOnly = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }] };
    const policy = readSourceIpPolicy(JSON.stringify(allowOnly))!;
    expect(policy.allows('10.1.2.3')).toBe(true);
    expect(policy.allows('11.1.2.3')).toBe(false);
    const denyAll = { Version: '2012-10-17', Statement: [...allowOnly.Statement, { Effect: 'Deny', Principal: { AWS: '*' }, Action: ['execute-api:Invoke'], Resource: ['execute-api:/*'] }] };
    expect(readSourceIpPolicy(denyAll)!.allows('10.1.2.3')).toBe(false);
  });

  const statement = { Effect: 'Deny', Principal: '*', Action: ['execute-api:Invoke'], Resource: 'execute-api:/*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } };
  it.each([
    ['another principal', { ...statement, Principal: { AWS: 'arn:aws:iam::123456789012:root' } }, /principal/],
    ['another action', { ...statement, Action: ['execute-api:ManageConnections'] }, /action/],
    ['one path of the API', { ...statement, Resource: 'execute-api:/prod/GET/health' }, /resource/],
    ['another condition operator', { ...statement, Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } }, /IpAddress/],
    ['another condition key', { ...statement, Condition: { NotIpAddress: { 'aws:VpcSourceIp': '10.0.0.0/8' } } }, /aws:SourceIp/],
    ['two conditions', { ...statement, Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/9' } } }, /single/],
    ['a malformed address', { ...statement, Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/40'] } } }, /10\.0\.0\.0\/40/],
    ['NotPrincipal', { ...statement, NotPrincipal: '*' }, /NotPrincipal/],
  ])('refuses a policy with %s at start', (_what, bad, message) => {
    const attempt = () => readSourceIpPolicy({ Version: '2012-10-17', Statement: [bad] });
    expect(attempt).toThrow(UnsupportedPolicy);
    expect(attempt).toThrow(message);
  });

  it('refuses a template with AWS WAF, which it does not emulate', () => {
    expect(() => refuseUnemulated({ WafWebAclAssociation: { Type: 'AWS::WAFv2::WebACLAssociation' } })).toThrow(/--param=waf=true/);
    expect(() => refuseUnemulated({ ApiGatewayRestApi: { Type: 'AWS::ApiGateway::RestApi' } })).not.toThrow();
  });
});

describe('Retry-After from a usage plan', () => {
  function clock(start: number) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('is the seconds to the bucket\'s next token, at least 1', () => {
    const c = clock(Date.UTC(2026, 10, 23, 12));
    const slow = new UsageLimits({ name: 'slow', rateLimit: 0.25, burstLimit: 1 }, c.now);
    expect(slow.take()).toBe('ok');
    expect(slow.take()).toBe('THROTTLED');
    expect(slow.retryAfter('THROTTLED')).toBe(4);
    c.advance(2500);
    expect(slow.retryAfter('THROTTLED')).toBe(2);
    const free = new UsageLimits({ name: 'free', rateLimit: 5, burstLimit: 10 }, c.now);
    for (let i = 0; i < 10; i += 1) free.take();
    expect(free.take()).toBe('THROTTLED');
    expect(free.retryAfter('THROTTLED')).toBe(1);
  });

  it('is the seconds to the next quota period for QUOTA_EXCEEDED', () => {
    const c = clock(Date.UTC(2026, 10, 30, 23, 59, 30));
    const limits = new UsageLimits({ name: 'q', rateLimit: 100, burstLimit: 100, quota: { limit: 1, period: 'MONTH' } }, c.now);
    expect([limits.take(), limits.take()]).toEqual(['ok', 'QUOTA_EXCEEDED']);
    expect(limits.retryAfter('QUOTA_EXCEEDED')).toBe(30);
    expect(new Date(periodEnd('MONTH', Date.UTC(2026, 11, 15))).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(periodEnd('WEEK', Date.UTC(2026, 10, 25, 15))).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(periodEnd('DAY', Date.UTC(2026, 10, 25, 15))).toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it('replaces the template\'s static Retry-After only where the response declares one', () => {
    const spec = {
      responses: new Map([
        ['THROTTLED', { statusCode: 429, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' }, template: '{"code":"throttled","request_id":"$context.requestId"}' }],
        ['INVALID_API_KEY', { statusCode: 403, headers: {}, template: '{"code":"invalid_api_key"}' }],
      ]),
    } as unknown as GatewaySpec;
    expect(gatewayAnswer(spec, 'THROTTLED', 'r1', undefined, 7)).toMatchObject({ status: 429, headers: { 'Retry-After': '7' }, body: '{"code":"throttled","request_id":"r1"}' });
    expect(gatewayAnswer(spec, 'THROTTLED', 'r1').headers['Retry-After']).toBe('1');
    expect(gatewayAnswer(spec, 'INVALID_API_KEY', 'r1', undefined, 7).headers).not.toHaveProperty('Retry-After');
  });
});
