import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { functions } from '../lib/http/routes';
import { settings } from '../lib/settings';

/**
 * npm run release:decide -- --stage prod --model m --version v --phase shadow|canary
 *   [--since <ISO time | minutes>] [--baseline-version b] [--max-delta x] [--skip-alarms] [--json]
 *
 * The model release workflow's decision (issue 28, README "CI/CD"): reads
 * the version's metrics from CloudWatch (GetMetricData, namespace
 * ml-inference/<stage>, lib/observability/metrics.ts) and, for a canary, the
 * stage's error and latency alarms (DescribeAlarms), then decides:
 *   exit 0  promote / continue: the figures are within every threshold
 *   exit 10 wait: too few requests compared yet, nothing crossed
 *   exit 20 roll back: a threshold was crossed
 *   exit 1  the script itself failed (usage, CloudWatch unreachable, …)
 * decide() is pure (figures → decision); fetchShadow/fetchCanary read.
 */
const USAGE =
  'usage: npm run release:decide -- --stage <stage> --model <name> --version <v> --phase shadow|canary [--since <ISO time | minutes>] [--baseline-version <v>] [--max-delta <x>] [--skip-alarms] [--json]';

export const EXIT = { proceed: 0, wait: 10, rollback: 20, failure: 1 } as const;
export type Outcome = 'promote' | 'continue' | 'wait' | 'rollback';

export const SERVICE = 'ml-inference';
/** The route families whose requests a split serves (README, "Releasing a new version"). */
export const FAMILIES = ['predict', 'v2-infer'] as const;
type Family = (typeof FAMILIES)[number];

export interface Thresholds {
  /** shadow: requests the shadow must have compared before it can pass. */
  shadowMinCompared: number;
  /** shadow: the largest ShadowMaxDelta allowed (probabilities, or the regressor's units). */
  maxDelta: number;
  /** shadow: flips per compared request, at most. */
  maxFlipShare: number;
  /** shadow: skipped per shadowed request, at most. */
  maxSkippedShare: number;
  /** canary: the canary's requests (predict + v2-infer) before it can pass. */
  canaryMinRequests: number;
  /** canary: its 5xx rate may exceed the stable's by this many percentage points. */
  max5xxPointsOverStable: number;
  /** canary: its 4xx rate may exceed the stable's by this many points. */
  max4xxPointsOverStable: number;
  /** canary: its p99 latency may be this many times the stable's, per route family. */
  maxLatencyRatio: number;
  /** canary: a family's p99 is compared once the canary has this many requests in it. */
  latencyMinRequests: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  shadowMinCompared: 200,
  maxDelta: 0.05,
  maxFlipShare: 0.01,
  maxSkippedShare: 0.1,
  canaryMinRequests: 500,
  max5xxPointsOverStable: 0.5,
  max4xxPointsOverStable: 2,
  maxLatencyRatio: 1.5,
  latencyMinRequests: 100,
};

export interface ShadowFigures {
  phase: 'shadow';
  /** Requests the shadow scored and compared (ShadowFlips' sample count: it is published only then). */
  compared: number;
  /** Requests the shadow was asked to score (ShadowErrors' sample count: published on every one). */
  shadowed: number;
  errors: number;
  skipped: number;
  flips: number;
  /** null when nothing was compared. */
  maxDelta: number | null;
  latencyP99Ms: number | null;
}

export interface VersionFigures {
  version: string;
  requests: number;
  serverErrors: number;
  clientErrors: number;
  byFamily: Record<Family, { requests: number; latencyP99Ms: number | null }>;
}

export interface AlarmState {
  name: string;
  state: string;
}

export interface CanaryFigures {
  phase: 'canary';
  canary: VersionFigures;
  stable: VersionFigures;
  /** null with --skip-alarms. */
  alarms: AlarmState[] | null;
}

export type Figures = ShadowFigures | CanaryFigures;

export interface Decision {
  outcome: Outcome;
  exitCode: number;
  /** Why: every crossed threshold for a rollback, else what was checked or what is missing. */
  reasons: string[];
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const rate = (n: number, of: number) => (of > 0 ? n / of : 0);

function verdict(outcome: Outcome, reasons: string[]): Decision {
  const exitCode = outcome === 'rollback' ? EXIT.rollback : outcome === 'wait' ? EXIT.wait : EXIT.proceed;
  return { outcome, exitCode, reasons };
}

/**
 * The decision, from the figures alone. A threshold that one bad request
 * crosses (a shadow error, a delta too large, an alarm in ALARM) rolls back
 * whatever the count; a share or rate is judged only once the minimum of
 * requests is reached (before that: wait).
 */
export function decide(figures: Figures, t: Thresholds = DEFAULT_THRESHOLDS): Decision {
  return figures.phase === 'shadow' ? decideShadow(figures, t) : decideCanary(figures, t);
}

function decideShadow(f: ShadowFigures, t: Thresholds): Decision {
  const crossed: string[] = [];
  if (f.errors > 0) crossed.push(`ShadowErrors ${f.errors} > 0: the shadow refused or failed requests the served version answered`);
  if (f.maxDelta !== null && !(f.maxDelta <= t.maxDelta)) crossed.push(`ShadowMaxDelta ${f.maxDelta} > ${t.maxDelta}`);
  const enough = f.compared >= t.shadowMinCompared;
  if (enough) {
    const flipShare = rate(f.flips, f.compared);
    if (flipShare > t.maxFlipShare) crossed.push(`flips ${f.flips} of ${f.compared} compared (${pct(flipShare)}) > ${pct(t.maxFlipShare)}`);
    const skippedShare = rate(f.skipped, f.shadowed);
    if (skippedShare > t.maxSkippedShare) crossed.push(`skipped ${f.skipped} of ${f.shadowed} shadowed (${pct(skippedShare)}) > ${pct(t.maxSkippedShare)}`);
  }
  if (crossed.length > 0) return verdict('rollback', crossed);
  if (!enough) return verdict('wait', [`${f.compared} requests compared, fewer than ${t.shadowMinCompared}`]);
  return verdict('continue', [
    `${f.compared} compared: no shadow errors, max delta ${f.maxDelta ?? 0} ≤ ${t.maxDelta}, flips ${pct(rate(f.flips, f.compared))} ≤ ${pct(t.maxFlipShare)}, skipped ${pct(rate(f.skipped, f.shadowed))} ≤ ${pct(t.maxSkippedShare)}`,
  ]);
}

function decideCanary(f: CanaryFigures, t: Thresholds): Decision {
  const crossed: string[] = [];
  for (const alarm of f.alarms ?? []) if (alarm.state === 'ALARM') crossed.push(`alarm ${alarm.name} is in ALARM`);
  const { canary, stable } = f;
  const enough = canary.requests >= t.canaryMinRequests;
  if (enough) {
    const c5 = rate(canary.serverErrors, canary.requests);
    const s5 = rate(stable.serverErrors, stable.requests);
    if ((c5 - s5) * 100 > t.max5xxPointsOverStable) crossed.push(`5xx rate ${pct(c5)} > stable ${stable.version}'s ${pct(s5)} + ${t.max5xxPointsOverStable} points`);
    const c4 = rate(canary.clientErrors, canary.requests);
    const s4 = rate(stable.clientErrors, stable.requests);
    if ((c4 - s4) * 100 > t.max4xxPointsOverStable) crossed.push(`4xx rate ${pct(c4)} > stable ${stable.version}'s ${pct(s4)} + ${t.max4xxPointsOverStable} points`);
    for (const family of FAMILIES) {
      const c = canary.byFamily[family];
      const s = stable.byFamily[family];
      if (c.requests < t.latencyMinRequests || c.latencyP99Ms === null || s.latencyP99Ms === null) continue;
      if (c.latencyP99Ms > t.maxLatencyRatio * s.latencyP99Ms) crossed.push(`${family} p99 ${c.latencyP99Ms} ms > ${t.maxLatencyRatio} × stable's ${s.latencyP99Ms} ms`);
    }
  }
  if (crossed.length > 0) return verdict('rollback', crossed);
  if (!enough) return verdict('wait', [`${canary.requests} canary requests, fewer than ${t.canaryMinRequests}`]);
  const alarms = f.alarms === null ? 'alarms not read' : `${f.alarms.length} alarms OK`;
  return verdict('promote', [
    `${canary.requests} canary requests: 5xx ${pct(rate(canary.serverErrors, canary.requests))} (stable ${pct(rate(stable.serverErrors, stable.requests))}), 4xx ${pct(rate(canary.clientErrors, canary.requests))} (stable ${pct(rate(stable.clientErrors, stable.requests))}), p99 within ${t.maxLatencyRatio} × stable's, ${alarms}`,
  ]);
}

// ---------------------------------------------------------------- reading

export interface Window {
  start: Date;
  end: Date;
}

export const namespaceOf = (stage: string) => `${SERVICE}/${stage}`;

type Stat = 'Sum' | 'SampleCount' | 'Maximum' | 'p99';
interface Wanted {
  id: string;
  metric: string;
  stat: Stat;
  dimensions: Record<string, string>;
}

/** One period over the whole window (a multiple of 60 s), so each query is one figure; several datapoints are combined anyway. */
function periodOf(window: Window): number {
  return Math.max(60, Math.ceil((window.end.getTime() - window.start.getTime()) / 60000) * 60);
}

async function getMetrics(client: CloudWatchClient, namespace: string, wanted: Wanted[], window: Window): Promise<Map<string, number[]>> {
  const period = periodOf(window);
  const queries: MetricDataQuery[] = wanted.map((w) => ({
    Id: w.id,
    Label: `${w.metric} ${w.stat} ${Object.values(w.dimensions).join(' ')}`,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: w.metric, Dimensions: Object.entries(w.dimensions).map(([Name, Value]) => ({ Name, Value })) },
      Period: period,
      Stat: w.stat,
    },
    ReturnData: true,
  }));
  const values = new Map<string, number[]>(wanted.map((w) => [w.id, []]));
  let token: string | undefined;
  do {
    const answer = await client.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: window.start, EndTime: window.end, ScanBy: 'TimestampAscending', NextToken: token }));
    for (const result of answer.MetricDataResults ?? []) {
      if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') throw new Error(`GetMetricData answered ${result.StatusCode} for ${result.Label ?? result.Id}${answer.Messages?.length ? `: ${answer.Messages.map((m) => m.Value).join('; ')}` : ''}`);
      const into = values.get(result.Id ?? '');
      if (into) into.push(...(result.Values ?? []));
    }
    token = answer.NextToken;
  } while (token);
  return values;
}

const sum = (xs: number[] = []) => xs.reduce((a, b) => a + b, 0);
/** The largest, or null without datapoints (p99 across periods: the worst period's, a conservative figure). */
const max = (xs: number[] = []) => (xs.length > 0 ? Math.max(...xs) : null);

export async function fetchShadow(client: CloudWatchClient, stage: string, model: string, version: string, window: Window): Promise<ShadowFigures> {
  const dimensions = { service: SERVICE, model, version };
  const values = await getMetrics(client, namespaceOf(stage), [
    { id: 'maxdelta', metric: 'ShadowMaxDelta', stat: 'Maximum', dimensions },
    { id: 'flips', metric: 'ShadowFlips', stat: 'Sum', dimensions },
    { id: 'compared', metric: 'ShadowFlips', stat: 'SampleCount', dimensions },
    { id: 'errors', metric: 'ShadowErrors', stat: 'Sum', dimensions },
    { id: 'shadowed', metric: 'ShadowErrors', stat: 'SampleCount', dimensions },
    { id: 'skipped', metric: 'ShadowSkipped', stat: 'Sum', dimensions },
    { id: 'latencyp99', metric: 'ShadowLatency', stat: 'p99', dimensions },
  ], window);
  return {
    phase: 'shadow',
    compared: sum(values.get('compared')),
    shadowed: sum(values.get('shadowed')),
    errors: sum(values.get('errors')),
    skipped: sum(values.get('skipped')),
    flips: sum(values.get('flips')),
    maxDelta: max(values.get('maxdelta')),
    latencyP99Ms: max(values.get('latencyp99')),
  };
}

const idPart = (text: string) => text.replace(/[^a-z0-9]/gi, '');

/** The stage's alarms on errors and on the scoring functions' p99 (resources/function-alarms.js: no AlarmName, so CloudFormation's `<stack>-<logical id>-<suffix>`). */
export function alarmPrefixes(stage: string): string[] {
  const pascal = (name: string) => name.split('-').map((part) => part[0]!.toUpperCase() + part.slice(1)).join('');
  const latency = Object.entries(functions as Record<string, { latencyAlarm?: boolean }>).filter(([, f]) => f.latencyAlarm).map(([name]) => `${pascal(name)}P99LatencyAlarm`);
  return ['LambdaErrorsAlarm', ...latency].map((logicalId) => `${SERVICE}-${stage}-${logicalId}`);
}

export async function fetchCanary(client: CloudWatchClient, stage: string, model: string, version: string, baseline: string, window: Window, withAlarms: boolean): Promise<CanaryFigures> {
  const wanted: Wanted[] = [];
  for (const [who, v] of [['c', version], ['s', baseline]] as const)
    for (const family of FAMILIES) {
      const dimensions = { service: SERVICE, route_family: family, model, version: v };
      const at = `${who}_${idPart(family)}`;
      wanted.push(
        { id: `${at}_requests`, metric: 'Requests', stat: 'Sum', dimensions },
        { id: `${at}_server`, metric: 'ServerErrors', stat: 'Sum', dimensions },
        { id: `${at}_client`, metric: 'ClientErrors', stat: 'Sum', dimensions },
        { id: `${at}_p99`, metric: 'Latency', stat: 'p99', dimensions },
      );
    }
  const values = await getMetrics(client, namespaceOf(stage), wanted, window);
  const figuresOf = (who: 'c' | 's', v: string): VersionFigures => {
    const of = (family: Family, what: string) => values.get(`${who}_${idPart(family)}_${what}`);
    const byFamily = Object.fromEntries(FAMILIES.map((family) => [family, { requests: sum(of(family, 'requests')), latencyP99Ms: max(of(family, 'p99')) }])) as VersionFigures['byFamily'];
    return {
      version: v,
      requests: sum(FAMILIES.map((family) => sum(of(family, 'requests')))),
      serverErrors: sum(FAMILIES.map((family) => sum(of(family, 'server')))),
      clientErrors: sum(FAMILIES.map((family) => sum(of(family, 'client')))),
      byFamily,
    };
  };
  let alarms: AlarmState[] | null = null;
  if (withAlarms) {
    alarms = [];
    for (const prefix of alarmPrefixes(stage)) {
      const answer = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'] }));
      const found = answer.MetricAlarms ?? [];
      if (found.length === 0) throw new Error(`no alarm named ${prefix}-… on stage ${stage} (is it deployed? --skip-alarms reads none)`);
      alarms.push(...found.map((a) => ({ name: a.AlarmName ?? prefix, state: a.StateValue ?? 'INSUFFICIENT_DATA' })));
    }
  }
  return { phase: 'canary', canary: figuresOf('c', version), stable: figuresOf('s', baseline), alarms };
}

/** The stable version from models/<model>/traffic.json: its "stable" label, else the split's largest share other than `version`. */
export function baselineFromTraffic(modelsDir: string, model: string, version: string): string {
  const file = path.join(modelsDir, model, 'traffic.json');
  const traffic = JSON.parse(readFileSync(file, 'utf8')) as { labels?: Record<string, string>; split?: Record<string, number> };
  const stable = traffic.labels?.stable;
  if (stable !== undefined && stable !== version) return stable;
  const others = Object.entries(traffic.split ?? {}).filter(([v]) => v !== version).sort((a, b) => b[1] - a[1]);
  if (others.length === 0) throw new Error(`${file} names no version but ${version} to compare with: pass --baseline-version`);
  return others[0]![0];
}

/** --since: an ISO time, or minutes before now. */
export function sinceOf(text: string, now: Date): Date | undefined {
  if (/^[0-9]{1,6}$/.test(text)) return Number(text) > 0 ? new Date(now.getTime() - Number(text) * 60000) : undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(text) || at.getTime() >= now.getTime() ? undefined : at;
}

// ---------------------------------------------------------------- printing

function figureLines(f: Figures, t: Thresholds): [string, string, string][] {
  if (f.phase === 'shadow')
    return [
      ['compared requests', String(f.compared), `≥ ${t.shadowMinCompared}`],
      ['ShadowErrors', String(f.errors), '= 0'],
      ['ShadowMaxDelta', String(f.maxDelta ?? '-'), `≤ ${t.maxDelta}`],
      ['ShadowFlips', `${f.flips} (${pct(rate(f.flips, f.compared))})`, `≤ ${pct(t.maxFlipShare)} of compared`],
      ['ShadowSkipped', `${f.skipped} of ${f.shadowed} (${pct(rate(f.skipped, f.shadowed))})`, `≤ ${pct(t.maxSkippedShare)} of shadowed`],
      ['ShadowLatency p99', f.latencyP99Ms === null ? '-' : `${f.latencyP99Ms} ms`, 'shown'],
    ];
  const { canary: c, stable: s } = f;
  const rows: [string, string, string][] = [
    ['requests', `${c.requests} (stable ${s.requests})`, `≥ ${t.canaryMinRequests}`],
    ['5xx rate', `${pct(rate(c.serverErrors, c.requests))} (stable ${pct(rate(s.serverErrors, s.requests))})`, `≤ stable + ${t.max5xxPointsOverStable} points`],
    ['4xx rate', `${pct(rate(c.clientErrors, c.requests))} (stable ${pct(rate(s.clientErrors, s.requests))})`, `≤ stable + ${t.max4xxPointsOverStable} points`],
    ...FAMILIES.map((family): [string, string, string] => {
      const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
      return [`${family} p99`, `${ms(c.byFamily[family].latencyP99Ms)} over ${c.byFamily[family].requests} (stable ${ms(s.byFamily[family].latencyP99Ms)})`, `≤ ${t.maxLatencyRatio} × stable (from ${t.latencyMinRequests} requests)`];
    }),
  ];
  for (const a of f.alarms ?? []) rows.push([`alarm ${a.name}`, a.state, 'not ALARM']);
  return rows;
}

function summaryMarkdown(head: string, f: Figures, t: Thresholds, d: Decision): string {
  const rows = figureLines(f, t).map(([name, value, limit]) => `| ${name} | ${value} | ${limit} |`);
  return [`### ${head}: **${d.outcome}** (exit ${d.exitCode})`, '', '| figure | value | threshold |', '| --- | --- | --- |', ...rows, '', ...d.reasons.map((r) => `- ${r}`), '', ''].join('\n');
}

export interface Io {
  client?: CloudWatchClient;
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export async function cli(argv: string[], io: Io = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  const env = io.env ?? process.env;
  const now = (io.now ?? (() => new Date()))();
  const fail = (message: string) => {
    err(`release:decide: ${message}\n`);
    return EXIT.failure;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stage: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' }, phase: { type: 'string' }, since: { type: 'string' },
        'baseline-version': { type: 'string' }, 'max-delta': { type: 'string' }, 'skip-alarms': { type: 'boolean' }, json: { type: 'boolean' },
      },
    }));
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
  const { stage, model, version, phase } = values;
  if (!stage || !model || !version || (phase !== 'shadow' && phase !== 'canary')) return fail(`--stage, --model, --version and --phase shadow|canary are required\n${USAGE}`);
  const start = sinceOf(values.since ?? '60', now);
  if (!start) return fail(`--since must be minutes (60) or an ISO time before now (2025-01-31T12:00:00Z)\n${USAGE}`);
  const thresholds = { ...DEFAULT_THRESHOLDS };
  if (values['max-delta'] !== undefined) {
    const x = Number(values['max-delta']);
    if (!(Number.isFinite(x) && x >= 0) || values['max-delta'].trim() === '') return fail(`--max-delta must be a number ≥ 0\n${USAGE}`);
    thresholds.maxDelta = x;
  }
  const window = { start, end: now };
  const client = io.client ?? new CloudWatchClient({});
  let figures: Figures;
  let baseline: string | undefined;
  try {
    if (phase === 'shadow') figures = await fetchShadow(client, stage, model, version, window);
    else {
      baseline = values['baseline-version'] ?? baselineFromTraffic(settings.modelsDir(), model, version);
      if (baseline === version) return fail(`the baseline version is ${version} itself: pass --baseline-version`);
      figures = await fetchCanary(client, stage, model, version, baseline, window, !values['skip-alarms']);
    }
  } catch (error) {
    return fail((error as Error).message);
  }
  const decision = decide(figures, thresholds);
  const head = `${model} ${version} ${phase} on ${stage}${baseline ? ` vs ${baseline}` : ''}, ${window.start.toISOString()} to ${window.end.toISOString()}`;
  if (values.json) {
    out(`${JSON.stringify({ stage, model, version, phase, baseline_version: baseline ?? null, window: { from: window.start.toISOString(), to: window.end.toISOString() }, figures, thresholds, outcome: decision.outcome, exit_code: decision.exitCode, reasons: decision.reasons })}\n`);
  } else {
    const lines = figureLines(figures, thresholds).map(([name, value, limit]) => `  ${name.padEnd(40)} ${value.padEnd(36)} ${limit}`);
    out(`${head}\n${lines.join('\n')}\n${decision.outcome}: ${decision.reasons.join('; ')}\n`);
  }
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, summaryMarkdown(head, figures, thresholds, decision));
    } catch (error) {
      return fail(`cannot append to GITHUB_STEP_SUMMARY: ${(error as Error).message}`);
    }
  }
  return decision.exitCode;
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
