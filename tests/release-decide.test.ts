// The model release's decision (scripts/release-decide.ts, issue 28 item 4).
// decide() is tested on its own, on the edges of each threshold; the whole
// command (cli) on recorded CloudWatch answers (tests/fixtures/release/*.json).
// CloudWatch cannot run on this machine: a stand-in for it is the real SDK
// client's request handler (the transport, after the SDK has serialized and
// signed the request, as tests/helpers/api-gateway-stand-in.ts does for API
// Gateway), which records each request and answers GetMetricData and
// DescribeAlarms from the fixture in CloudWatch's JSON 1.0 wire format.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { alarmPrefixes, baselineFromTraffic, cli, decide, DEFAULT_THRESHOLDS, sinceOf, type CanaryFigures, type ShadowFigures, type VersionFigures } from '../scripts/release-decide';

interface Fixture {
  GetMetricData: { MetricDataResults: { Id: string }[]; NextToken?: string }[];
  DescribeAlarms?: Record<string, unknown>;
}

interface Sent {
  target: string;
  body: Record<string, any>;
  signed: boolean;
}

function standIn(name: string) {
  const fixture = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'release', `${name}.json`), 'utf8')) as Fixture;
  const sent: Sent[] = [];
  const answer = (request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) => {
    const text = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body ?? '');
    const body = JSON.parse(text) as Record<string, any>;
    const target = request.headers['x-amz-target'] ?? '';
    sent.push({ target, body, signed: /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/eu-west-1\/monitoring\/aws4_request/.test(request.headers.authorization ?? '') });
    const json = (statusCode: number, value: unknown, headers: Record<string, string> = {}) => ({ statusCode, headers: { 'content-type': 'application/x-amz-json-1.0', ...headers }, body: Buffer.from(JSON.stringify(value)) });
    if (request.method !== 'POST' || request.path !== '/') return json(404, { __type: 'NotFound', message: `stand-in has no ${request.method} ${request.path}` });
    if (target === 'GraniteServiceVersion20100801.GetMetricData') {
      const page = body.NextToken === undefined ? 0 : Number(String(body.NextToken).replace('page', ''));
      const asked = new Set((body.MetricDataQueries as { Id: string }[]).map((q) => q.Id));
      const recorded = fixture.GetMetricData[page]!;
      return json(200, { ...recorded, MetricDataResults: recorded.MetricDataResults.filter((r) => asked.has(r.Id)) });
    }
    if (target === 'GraniteServiceVersion20100801.DescribeAlarms') return json(200, fixture.DescribeAlarms?.[body.AlarmNamePrefix] ?? { MetricAlarms: [], CompositeAlarms: [] });
    return json(400, { __type: 'com.amazonaws.cloudwatch#InvalidAction', message: `stand-in has no ${target}` }, { 'x-amzn-query-error': 'InvalidAction;Sender' });
  };
  const client = new CloudWatchClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
    // any: the SDK's HttpRequest, read by answer() as its wire form (method, path, headers, body).
    requestHandler: { handle: async (request: any) => ({ response: answer(request) }) },
  });
  const recordedIds = fixture.GetMetricData.flatMap((p) => p.MetricDataResults.map((r) => r.Id));
  return { client, sent, recordedIds };
}

const NOW = new Date('2026-01-01T11:00:00Z');

async function run(name: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stand = standIn(name);
  let stdout = '';
  let stderr = '';
  const code = await cli(argv, { client: stand.client, now: () => NOW, env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, ...stand };
}

const shadowArgs = ['--stage', 'prod', '--model', 'churn', '--version', '1.1.0', '--phase', 'shadow', '--since', '60'];
const canaryArgs = ['--stage', 'prod', '--model', 'churn', '--version', '1.1.0', '--phase', 'canary', '--baseline-version', '1.0.0', '--since', '2026-01-01T10:00:00Z'];

describe('decide (figures → decision)', () => {
  const shadow = (over: Partial<ShadowFigures> = {}): ShadowFigures => ({ phase: 'shadow', compared: 200, shadowed: 200, errors: 0, skipped: 0, flips: 0, maxDelta: 0.01, latencyP99Ms: 20, ...over });
  const version = (v: string, requests: number, over: Partial<VersionFigures> = {}): VersionFigures => ({
    version: v, requests, serverErrors: 0, clientErrors: 0, byFamily: { predict: { requests, latencyP99Ms: 100 }, 'v2-infer': { requests: 0, latencyP99Ms: null } }, ...over,
  });
  const canary = (c: Partial<VersionFigures> = {}, s: Partial<VersionFigures> = {}, alarms: CanaryFigures['alarms'] = []): CanaryFigures => ({ phase: 'canary', canary: version('1.1.0', 500, c), stable: version('1.0.0', 5000, s), alarms });

  it('shadow: continues at exactly the minimum and exactly on each threshold', () => {
    expect(decide(shadow({ compared: 200, flips: 2, maxDelta: 0.05, shadowed: 200, skipped: 20 }))).toMatchObject({ outcome: 'continue', exitCode: 0 });
  });
  it('shadow: waits below the minimum while nothing is crossed, even with shares that would fail', () => {
    expect(decide(shadow({ compared: 199 }))).toMatchObject({ outcome: 'wait', exitCode: 10 });
    expect(decide(shadow({ compared: 0, shadowed: 0, maxDelta: null, latencyP99Ms: null }))).toMatchObject({ outcome: 'wait', exitCode: 10 });
    expect(decide(shadow({ compared: 50, flips: 5 }))).toMatchObject({ outcome: 'wait' });
  });
  it('shadow: one shadow error or one delta too large rolls back before the minimum', () => {
    expect(decide(shadow({ compared: 10, errors: 1 }))).toMatchObject({ outcome: 'rollback', exitCode: 20, reasons: [expect.stringContaining('ShadowErrors 1 > 0')] });
    expect(decide(shadow({ compared: 10, maxDelta: 0.0501 })).reasons).toEqual([expect.stringContaining('ShadowMaxDelta 0.0501 > 0.05')]);
    expect(decide(shadow({ maxDelta: Number.NaN })).outcome).toBe('rollback');
  });
  it('shadow: flips above 1 % and skips above 10 % roll back once the minimum is reached, with every reason', () => {
    const d = decide(shadow({ compared: 300, flips: 4, shadowed: 400, skipped: 41, errors: 2 }));
    expect(d.outcome).toBe('rollback');
    expect(d.reasons).toHaveLength(3);
    expect(d.reasons.join('\n')).toMatch(/flips 4 of 300 compared \(1\.33 %\) > 1\.00 %[\s\S]*skipped 41 of 400/);
  });
  it('shadow: --max-delta moves the delta threshold', () => {
    expect(decide(shadow({ maxDelta: 0.3 }), { ...DEFAULT_THRESHOLDS, maxDelta: 0.5 }).outcome).toBe('continue');
  });

  it('canary: promotes at the minimum with 5xx exactly 0.5 points over the stable and p99 exactly 1.5 ×', () => {
    const d = decide(canary({ serverErrors: 3, byFamily: { predict: { requests: 500, latencyP99Ms: 150 }, 'v2-infer': { requests: 0, latencyP99Ms: null } } }, { serverErrors: 5 }));
    // 3/500 = 0.6 %, stable 5/5000 = 0.1 %: 0.5 points over.
    expect(d).toMatchObject({ outcome: 'promote', exitCode: 0 });
  });
  it('canary: waits below 500 requests, rolls back above the stable + 0.5 points', () => {
    expect(decide(canary({ requests: 499 }))).toMatchObject({ outcome: 'wait', exitCode: 10 });
    expect(decide(canary({ serverErrors: 4 }, { serverErrors: 5 })).reasons).toEqual([expect.stringMatching(/^5xx rate 0\.80 % > stable 1\.0\.0's 0\.10 % \+ 0\.5 points/)]);
  });
  it('canary: compares with a stable that had no requests as a 0 % rate', () => {
    expect(decide(canary({ serverErrors: 3 }, { requests: 0, byFamily: { predict: { requests: 0, latencyP99Ms: null }, 'v2-infer': { requests: 0, latencyP99Ms: null } } })).outcome).toBe('rollback');
    expect(decide(canary({ serverErrors: 2 }, { requests: 0 })).outcome).toBe('promote');
  });
  it('canary: p99 above 1.5 × the stable rolls back per family, only from 100 canary requests in it', () => {
    const slow = (requests: number) => canary({ byFamily: { predict: { requests: 500 - requests, latencyP99Ms: 100 }, 'v2-infer': { requests, latencyP99Ms: 151 } } }, { byFamily: { predict: { requests: 5000, latencyP99Ms: 100 }, 'v2-infer': { requests: 500, latencyP99Ms: 100 } } });
    expect(decide(slow(99)).outcome).toBe('promote');
    expect(decide(slow(100)).reasons).toEqual(['v2-infer p99 151 ms > 1.5 × stable\'s 100 ms']);
  });
  it('canary: 4xx above the stable + 2 points rolls back', () => {
    expect(decide(canary({ clientErrors: 10 }, { clientErrors: 0 })).outcome).toBe('promote');
    expect(decide(canary({ clientErrors: 11 }, { clientErrors: 0 })).outcome).toBe('rollback');
  });
  it('canary: an alarm in ALARM rolls back before the minimum; INSUFFICIENT_DATA does not', () => {
    expect(decide(canary({ requests: 10 }, {}, [{ name: 'ml-inference-prod-LambdaErrorsAlarm-X', state: 'ALARM' }]))).toMatchObject({ outcome: 'rollback', reasons: ['alarm ml-inference-prod-LambdaErrorsAlarm-X is in ALARM'] });
    expect(decide(canary({}, {}, [{ name: 'a', state: 'INSUFFICIENT_DATA' }])).outcome).toBe('promote');
  });
});

describe('npm run release:decide on recorded CloudWatch answers (a stand-in for CloudWatch)', () => {
  it('a healthy shadow continues (exit 0), read over two pages with the metric names, statistics and dimensions of METRIC_CATALOG', async () => {
    const r = await run('shadow-healthy', shadowArgs);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^churn 1\.1\.0 shadow on prod, 2026-01-01T10:00:00\.000Z to 2026-01-01T11:00:00\.000Z\n/);
    expect(r.stdout).toMatch(/compared requests\s+480/);
    expect(r.stdout).toMatch(/ShadowFlips\s+2 \(0\.42 %\)/);
    expect(r.stdout).toMatch(/ShadowLatency p99\s+21\.7 ms/);
    expect(r.stdout).toMatch(/\ncontinue: 480 compared/);
    expect(r.sent.map((s) => s.target)).toEqual(['GraniteServiceVersion20100801.GetMetricData', 'GraniteServiceVersion20100801.GetMetricData']);
    expect(r.sent.every((s) => s.signed)).toBe(true);
    expect(r.sent[1]!.body.NextToken).toBe('page1');
    const [first] = r.sent;
    expect(first!.body.StartTime).toBe(Date.parse('2026-01-01T10:00:00Z') / 1000);
    expect(first!.body.EndTime).toBe(NOW.getTime() / 1000);
    const queries = first!.body.MetricDataQueries as { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string; Period: number } }[];
    expect(queries.map((q) => `${q.MetricStat.Metric.MetricName} ${q.MetricStat.Stat}`)).toEqual([
      'ShadowMaxDelta Maximum', 'ShadowFlips Sum', 'ShadowFlips SampleCount', 'ShadowErrors Sum', 'ShadowErrors SampleCount', 'ShadowSkipped Sum', 'ShadowLatency p99',
    ]);
    for (const q of queries) {
      expect(q.MetricStat.Metric.Namespace).toBe('ml-inference/prod');
      expect(q.MetricStat.Metric.Dimensions).toEqual([{ Name: 'service', Value: 'ml-inference' }, { Name: 'model', Value: 'churn' }, { Name: 'version', Value: '1.1.0' }]);
      expect(q.MetricStat.Period).toBe(3600);
    }
    expect(new Set(queries.map((q) => q.Id))).toEqual(new Set(r.recordedIds));
  });

  it('an unhealthy shadow rolls back (exit 20) with every reason, as one JSON object and in the step summary', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'release-decide-'));
    const summary = path.join(dir, 'summary.md');
    writeFileSync(summary, '## earlier step\n');
    const r = await run('shadow-unhealthy', [...shadowArgs, '--json'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.code).toBe(20);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ stage: 'prod', model: 'churn', version: '1.1.0', phase: 'shadow', outcome: 'rollback', exit_code: 20, figures: { compared: 350, shadowed: 360, errors: 3, flips: 9, maxDelta: 0.31, skipped: 7, latencyP99Ms: 31 }, thresholds: { maxDelta: 0.05, maxFlipShare: 0.01 } });
    expect(out.reasons).toEqual([expect.stringContaining('ShadowErrors 3 > 0'), 'ShadowMaxDelta 0.31 > 0.05', 'flips 9 of 350 compared (2.57 %) > 1.00 %']);
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^## earlier step\n### churn 1\.1\.0 shadow on prod.*: \*\*rollback\*\* \(exit 20\)\n/);
    expect(md).toContain('| ShadowMaxDelta | 0.31 | ≤ 0.05 |');
    expect(md).toContain('- ShadowMaxDelta 0.31 > 0.05');
  });

  it('a shadow with too few requests compared waits (exit 10); --max-delta is read', async () => {
    const r = await run('shadow-early', [...shadowArgs, '--max-delta', '0.2']);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/\nwait: 120 requests compared, fewer than 200\n$/);
    expect(r.stdout).toMatch(/ShadowMaxDelta\s+0\.01\s+≤ 0\.2/);
  });

  it("a healthy canary promotes (exit 0): both families and both versions' sums and p99, and the stage's three alarms", async () => {
    const r = await run('canary-healthy', canaryArgs);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^churn 1\.1\.0 canary on prod vs 1\.0\.0/);
    expect(r.stdout).toMatch(/requests\s+700 \(stable 6200\)/);
    expect(r.stdout).toMatch(/5xx rate\s+0\.14 % \(stable 0\.10 %\)/);
    expect(r.stdout).toMatch(/predict p99\s+121 ms over 610 \(stable 112 ms\)/);
    expect(r.stdout).toMatch(/\npromote: 700 canary requests.*3 alarms OK\n$/);
    expect(r.sent.map((s) => s.target.split('.')[1])).toEqual(['GetMetricData', 'DescribeAlarms', 'DescribeAlarms', 'DescribeAlarms']);
    expect(r.sent.slice(1).map((s) => s.body.AlarmNamePrefix)).toEqual(['ml-inference-prod-LambdaErrorsAlarm', 'ml-inference-prod-PredictP99LatencyAlarm', 'ml-inference-prod-V2InferP99LatencyAlarm']);
    const queries = r.sent[0]!.body.MetricDataQueries as { Id: string; MetricStat: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] }; Stat: string } }[];
    expect(new Set(queries.map((q) => q.Id))).toEqual(new Set(r.recordedIds));
    const q = queries.find((x) => x.Id === 's_v2infer_p99')!;
    expect(q.MetricStat).toMatchObject({ Stat: 'p99', Metric: { MetricName: 'Latency', Dimensions: [{ Name: 'service', Value: 'ml-inference' }, { Name: 'route_family', Value: 'v2-infer' }, { Name: 'model', Value: 'churn' }, { Name: 'version', Value: '1.0.0' }] } });
  });

  it('an unhealthy canary rolls back (exit 20): the alarm, the 5xx rate and the p99', async () => {
    const r = await run('canary-unhealthy', [...canaryArgs, '--json']);
    expect(r.code).toBe(20);
    const out = JSON.parse(r.stdout);
    expect(out.baseline_version).toBe('1.0.0');
    expect(out.figures.alarms).toContainEqual({ name: 'ml-inference-prod-PredictP99LatencyAlarm-H7I8J9K0L1M2', state: 'ALARM' });
    expect(out.reasons).toEqual([
      'alarm ml-inference-prod-PredictP99LatencyAlarm-H7I8J9K0L1M2 is in ALARM',
      "5xx rate 2.56 % > stable 1.0.0's 0.10 % + 0.5 points",
      "predict p99 410 ms > 1.5 × stable's 112 ms",
    ]);
  });

  it('--skip-alarms reads no alarm; the baseline comes from traffic.json without --baseline-version', async () => {
    const models = mkdtempSync(path.join(os.tmpdir(), 'release-models-'));
    mkdirSync(path.join(models, 'churn'));
    writeFileSync(path.join(models, 'churn', 'traffic.json'), JSON.stringify({ labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 } }));
    expect(baselineFromTraffic(models, 'churn', '1.1.0')).toBe('1.0.0');
    writeFileSync(path.join(models, 'churn', 'traffic.json'), JSON.stringify({ split: { '0.9.0': 5, '1.0.0': 85, '1.1.0': 10 } }));
    expect(baselineFromTraffic(models, 'churn', '1.1.0')).toBe('1.0.0');
    const r = await run('canary-healthy', [...canaryArgs, '--skip-alarms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/alarms not read\n$/);
    expect(r.sent.map((s) => s.target.split('.')[1])).toEqual(['GetMetricData']);
  });

  it("the script's own failures exit 1: usage, a bad --since, a missing alarm, CloudWatch's error", async () => {
    expect((await run('shadow-healthy', ['--stage', 'prod'])).code).toBe(1);
    const since = await run('shadow-healthy', [...shadowArgs, '--since', 'yesterday']);
    expect([since.code, since.sent.length]).toEqual([1, 0]);
    expect(since.stderr).toMatch(/--since must be minutes/);
    const noAlarms = await run('shadow-healthy', canaryArgs);
    expect(noAlarms.code).toBe(1);
    expect(noAlarms.stderr).toMatch(/no alarm named ml-inference-prod-LambdaErrorsAlarm-… on stage prod/);
    const failing = new CloudWatchClient({
      region: 'eu-west-1', maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
      // as any: a minimal request handler (handle only), which is all the SDK calls.
      requestHandler: { handle: async () => ({ response: { statusCode: 403, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: 'User is not authorized to perform: cloudwatch:GetMetricData' })) } }) } as any,
    });
    let stderr = '';
    expect(await cli(shadowArgs, { client: failing, now: () => NOW, env: {}, stdout: () => undefined, stderr: (t) => (stderr += t) })).toBe(1);
    expect(stderr).toMatch(/not authorized to perform: cloudwatch:GetMetricData/);
  });

  it('--since takes minutes or an ISO time before now; the alarm names follow resources/function-alarms.js', () => {
    expect(sinceOf('30', NOW)?.toISOString()).toBe('2026-01-01T10:30:00.000Z');
    expect(sinceOf('2026-01-01T09:00:00Z', NOW)?.toISOString()).toBe('2026-01-01T09:00:00.000Z');
    expect([sinceOf('0', NOW), sinceOf('2026-01-01T12:00:00Z', NOW), sinceOf('2026-01-01', NOW)]).toEqual([undefined, undefined, undefined]);
    expect(alarmPrefixes('dev')).toEqual(['ml-inference-dev-LambdaErrorsAlarm', 'ml-inference-dev-PredictP99LatencyAlarm', 'ml-inference-dev-V2InferP99LatencyAlarm']);
  });
});
