// npm run bench -- capture: what request capture (CAPTURE_SAMPLE, README
// "Monitoring") adds to a warm predict call, and how large a capture line is.
// The packaged handler runs in-process through the warm harness the main
// bench uses (bench/probes/handler.js via childJson), so the figures compare
// with "What observability costs".
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { childJson, customers, root } from './artifact';
import type { Pinned } from './pin';
import { latency, type Latency } from './stats';

/** The shares measured: off, the deployed default's order of magnitude, everything. */
const SHARES = [0, 10, 100] as const;
const SINGLE_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 10_000);
const SINGLE_WARMUP = Number(process.env.BENCH_WARMUP ?? 20_000);
const BATCH_SIZE = 100;
// A 100-record call does 100 times the per-record work, so fewer calls warm it as far.
const BATCH_CALLS = Number(process.env.BENCH_CAPTURE_BATCH_CALLS ?? 2_000);
const BATCH_WARMUP = Number(process.env.BENCH_CAPTURE_BATCH_WARMUP ?? 2_000);
const ROUNDS = 2;
/** An API Gateway API key id as a deployed line carries it (10 characters; never the key). */
export const API_KEY_ID = 'a1b2c3d4e5';

export interface LineBytes {
  lines: number;
  /** UTF-8 bytes of the JSON, without its newline, as the bench's event makes it (no request id, no API key, a `local-…` id). */
  mean: number;
  min: number;
  max: number;
  /** The same lines as a deployed request makes them: API Gateway's request id (a UUID) as inference_id and request_id, and the key's id. */
  deployedMean: number;
}

export interface CaptureResults {
  measured: string;
  machine: { cpu: string; cores: number; node: string };
  pinned: { cpu: number | null; command: string | null };
  settings: { singleCalls: number; singleWarmup: number; batchSize: number; batchCalls: number; batchWarmup: number; rounds: number; stdout: string };
  rows: { share: number; single: Latency; batch: Latency }[];
  lineBytes: { churn: LineBytes; intent: LineBytes };
}

/** Every file's lines under a folder (the capture partitions CAPTURE_DIR holds). */
function linesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(...readFileSync(path.join(entry.parentPath, entry.name), 'utf8').split('\n').filter((l) => l !== ''));
  }
  return out;
}

/**
 * The capture lines the packaged handler writes for `bodies`, one call each
 * in order, with CAPTURE_SAMPLE=100 and CAPTURE_DIR a scratch folder (the
 * lines on stdout are the same text). The harness makes at least 500 calls,
 * cycling through the bodies, so only the first pass is kept.
 */
export function capturedLines(pinned: Pinned, taskRoot: string, env: Record<string, string>, bodies: unknown[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-capture-'));
  try {
    childJson(pinned, [path.join(root, 'bench/probes/handler.js'), '0', 'single'], { ...env, TASK_ROOT: taskRoot, NODE_ENV: 'production', WARMUP: String(bodies.length), CAPTURE_SAMPLE: '100', CAPTURE_DIR: dir }, JSON.stringify(bodies));
    return linesUnder(dir).slice(0, bodies.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A capture line as a deployed request writes it: the inference id is API
 * Gateway's request id (a UUID) unless the caller sends one, request_id the
 * same, api_key_id the key's id; fields in the order inferenceLines() makes
 * them. `id` fills both ids.
 */
export function deployedLine(line: string, id: string): string {
  const { capture, inference_id: _, time, model, version, route, request_id: __, api_key_id: ___, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return JSON.stringify({ capture, inference_id: id, time, request_id: id, model, version, route, api_key_id: API_KEY_ID, ...rest });
}

function lineBytes(lines: string[]): LineBytes {
  const bytes = lines.map((l) => Buffer.byteLength(l));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    lines: lines.length,
    mean: mean(bytes),
    min: Math.min(...bytes),
    max: Math.max(...bytes),
    deployedMean: mean(lines.map((l) => Buffer.byteLength(deployedLine(l, randomUUID())))),
  };
}

/**
 * The measurement: single-record calls (examples/customer.json) and
 * 100-record batches (the held-out customers) at each share, every setting
 * in each of two rounds so that a slow moment of the shared machine falls on
 * all alike. CAPTURE_DIR unset, as deployed: the lines go to stdout, which
 * childJson sends to a file (Lambda's log pipe absorbs them, and /dev/null
 * would make the write free). `env` is the predict function's deployed
 * environment, request not sampled by X-Ray.
 */
export function runCapture(pinned: Pinned, taskRoot: string, env: Record<string, string>): CaptureResults {
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const { CAPTURE_DIR: _, ...deployed } = env;
  const held = customers();
  const example = JSON.parse(readFileSync(path.join(root, 'examples/customer.json'), 'utf8')) as unknown;
  const batches = Array.from({ length: Math.floor(held.length / BATCH_SIZE) }, (_, b) => ({ instances: held.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE) }));
  const warm = (share: number, bodies: unknown[], calls: number, warmup: number) =>
    childJson<{ warmMs: number[] }>(
      pinned,
      [path.join(root, 'bench/probes/handler.js'), String(calls), 'single'],
      { ...deployed, TASK_ROOT: taskRoot, NODE_ENV: 'production', WARMUP: String(warmup), CAPTURE_SAMPLE: String(share) },
      JSON.stringify(bodies),
    ).result.warmMs;
  const single = SHARES.map(() => [] as number[]);
  const batch = SHARES.map(() => [] as number[]);
  log(`capture: CAPTURE_SAMPLE ${SHARES.join(', ')}: ${SINGLE_CALLS} single calls after ${SINGLE_WARMUP} and ${BATCH_CALLS} batches of ${BATCH_SIZE} after ${BATCH_WARMUP} each, in ${ROUNDS} alternating rounds`);
  for (let round = 0; round < ROUNDS; round++) {
    SHARES.forEach((share, i) => {
      single[i]!.push(...warm(share, [example], SINGLE_CALLS / ROUNDS, SINGLE_WARMUP));
      batch[i]!.push(...warm(share, batches, BATCH_CALLS / ROUNDS, BATCH_WARMUP));
    });
  }
  log('capture: line sizes (churn: every held-out customer; intent: every parity message)');
  const texts = (JSON.parse(readFileSync(path.join(root, 'models/intent/1.0.0/parity.json'), 'utf8')) as { cases: { text: string }[] }).cases.map((c) => ({ text: c.text }));
  return {
    measured: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    pinned: { cpu: pinned.cpu, command: pinned.command },
    settings: { singleCalls: SINGLE_CALLS, singleWarmup: SINGLE_WARMUP, batchSize: BATCH_SIZE, batchCalls: BATCH_CALLS, batchWarmup: BATCH_WARMUP, rounds: ROUNDS, stdout: 'a file' },
    rows: SHARES.map((share, i) => ({ share, single: latency(single[i]!), batch: latency(batch[i]!) })),
    lineBytes: {
      churn: lineBytes(capturedLines(pinned, taskRoot, deployed, held)),
      intent: lineBytes(capturedLines(pinned, taskRoot, { ...deployed, DEFAULT_MODEL: 'intent' }, texts)),
    },
  };
}

export const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 4 }) : 'n/a');
const us = (ms: number) => `${fmt(ms * 1000)} µs`;
const added = (x: number, base: number) => (x === base ? '—' : `${x >= base ? '+' : '−'}${fmt(Math.abs(x - base) * 1000)} µs (${x >= base ? '+' : '−'}${fmt((Math.abs(x - base) / base) * 100, 2)}%)`);

/** BENCHMARKS.md's "What capture costs" section. */
export function captureSection(c: CaptureResults | undefined): string {
  if (!c) return '## What capture costs\n\nNot measured yet: `npm run bench -- capture` (about a minute).\n';
  const s = c.settings;
  const base = c.rows[0]!;
  const full = c.rows.at(-1)!;
  const rows = c.rows.map(
    (r) => `| ${r.share}% | ${us(r.single.p50)} | ${added(r.single.p50, base.single.p50)} | ${us(r.single.p99)} | ${added(r.single.p99, base.single.p99)} | ${us(r.batch.p50)} | ${added(r.batch.p50, base.batch.p50)} | ${us(r.batch.p99)} | ${added(r.batch.p99, base.batch.p99)} |`,
  );
  const size = (name: string, b: LineBytes, what: string) =>
    `| ${name} | ${what} | ${b.lines} | ${fmt(b.mean)} B | ${fmt(b.min)}–${fmt(b.max)} B | ${fmt(b.deployedMean)} B |`;
  const pin = c.pinned.command ? `pinned to CPU ${c.pinned.cpu} (\`${c.pinned.command}\`)` : '**not pinned** (taskset was not available)';
  const note = path.join(root, 'bench/capture.md');
  let where = '';
  try {
    where = `\n${readFileSync(note, 'utf8').trim()}\n`;
  } catch {
    // No hand-written note beside the figures.
  }
  return `## What capture costs

Measured on ${c.measured.slice(0, 10)} by \`npm run bench -- capture\` (about a minute; also part of \`npm run bench\`): ${c.machine.cpu}, ${c.machine.cores} cores, shared with other work; Node ${c.machine.node}; ${pin}.

- The packaged predict handler in-process and warm (bench/probes/handler.js, the harness of the warm figures above), the predict function's environment as deployed (X-Ray on, request not sampled), CAPTURE_SAMPLE set per row, CAPTURE_DIR unset: the deployed case, capture lines to stdout. The handler's stdout goes to ${s.stdout}, as Lambda's log pipe absorbs it (not /dev/null, which would make each write free).
- Single: examples/customer.json, ${s.singleCalls.toLocaleString('en-US')} calls per share after ${s.singleWarmup.toLocaleString('en-US')}. Batch: ${s.batchSize} held-out customers a call (models/churn/1.0.0/parity.json), ${s.batchCalls.toLocaleString('en-US')} calls per share after ${s.batchWarmup.toLocaleString('en-US')}. Every share in each of ${s.rounds} alternating rounds, a fresh process each.
- A captured request writes one line per record; at ${full.share}% a batch of ${s.batchSize} writes ${s.batchSize}: ${fmt(((full.batch.p50 - base.batch.p50) / s.batchSize) * 1000)} µs a captured record at the p50, against ${fmt((full.single.p50 - base.single.p50) * 1000)} µs for a single record's request. A request is captured whole or not at all, so at a share below 100% the p50 moves little and the captured calls show further up: the batch's p90 is ${us(base.batch.p90)} with capture off, ${c.rows.slice(1).map((r) => `${us(r.batch.p90)} at ${r.share}%`).join(', ')}.

| CAPTURE_SAMPLE | single p50 | added | single p99 | added | batch of ${s.batchSize} p50 | added | batch of ${s.batchSize} p99 | added |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Capture line sizes, UTF-8 bytes of a line's JSON without its newline, from the same handler with CAPTURE_SAMPLE=100 and CAPTURE_DIR a scratch folder (the file's lines are the stdout's text). The bench's event has no request id and no API key; "as deployed" re-serialises each line with API Gateway's request id (a 36-character UUID) as inference_id and request_id and a 10-character API key id. A batch's record adds \`/<i>\` to its id (2 to 4 bytes).

| model | records | lines | mean | range | mean as deployed |
| --- | --- | --- | --- | --- | --- |
${size('churn', c.lineBytes.churn, 'one held-out customer a request')}
${size('intent', c.lineBytes.intent, 'one parity message a request')}
${where}`;
}
