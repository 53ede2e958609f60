// npm run bench -- score: the local batch scorer's records/s (README, "Batch
// scoring"), `npm run score` as a user runs it (its bundle, a fresh process,
// pinned to one CPU), on churn (CSV: the Telco file's customers repeated),
// intent (JSON lines: its messages repeated) and the shapes classifier (a
// folder of copies of tests/fixtures/images' pictures, added by model:add to
// a scratch models folder). npm run bench -- score-memory:
// its peak RSS on a generated 1 GB CSV against the bound the README states,
// beside the same on the 1 MB Telco file. Each keeps the other's figures.
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { modelAdd, root } from './artifact';
import type { Pinned } from './pin';
import { median } from './stats';

/** The bound README "Batch scoring" states for the scorer's peak RSS, whatever the file's size. */
export const SCORE_RSS_BOUND_MB = 256;
const THROUGHPUT_ROWS = Number(process.env.BENCH_SCORE_ROWS ?? 100_000);
const THROUGHPUT_RUNS = Number(process.env.BENCH_SCORE_RUNS ?? 5);
/** Pictures in the image row's folder: the four fixture pictures copied round. */
const THROUGHPUT_IMAGES = Number(process.env.BENCH_SCORE_IMAGES ?? 400);
const MEMORY_BYTES = Number(process.env.BENCH_SCORE_BYTES ?? 2 ** 30);
const MiB = 2 ** 20;

export interface ScoreRun {
  seconds: number;
  /** The process's CPU time, user + system. */
  cpuSeconds: number;
  peakRssMb: number;
}

export interface ScoreThroughput {
  model: string;
  /** images: a folder of pictures. */
  format: 'csv' | 'jsonl' | 'images';
  input: string;
  rows: number;
  bytes: number;
  runs: ScoreRun[];
  /** Rows over the median run's wall time, process start and model load included. */
  recordsPerSecond: number;
  /** Rows over the median run's CPU time: less at the mercy of other work on the machine. */
  recordsPerCpuSecond: number;
  peakRssMb: number;
}

export interface ScoreMemory {
  bytes: number;
  rows: number;
  seconds: number;
  /** Absent in figures measured before it was recorded. */
  cpuSeconds?: number;
  recordsPerSecond: number;
  peakRssMb: number;
  /** The same on the Telco file (1 MB): the start-up's share of the peak. */
  smallPeakRssMb: number;
  boundMb: number;
}

export interface ScoreResults {
  measured: string;
  machine: { cpu: string; cores: number; node: string };
  pinned: { cpu: number | null; command: string | null };
  throughput?: ScoreThroughput[];
  memory?: ScoreMemory;
}

const telcoPath = path.join(root, '..', 'shared', 'data', 'telco-customer-churn.csv');

/** The scorer's bundle, built as `npm run score` builds it. */
function bundle(): string {
  const out = path.join(root, '.esbuild/score.js');
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'scripts/score/main.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp', `--outfile=${out}`, '--log-level=warning',
  ]);
  return out;
}

/** A file of `header` then `lines` cycled until it holds `rows` rows or `bytes` bytes, written in large pieces. */
export function generate(file: string, header: string, lines: readonly string[], limit: { rows?: number; bytes?: number }): { rows: number; bytes: number } {
  const fd = openSync(file, 'w');
  let rows = 0;
  let bytes = 0;
  try {
    bytes += writeSync(fd, header);
    const block = `${lines.join('\n')}\n`;
    const blockBytes = Buffer.byteLength(block);
    while ((limit.rows === undefined || rows + lines.length <= limit.rows) && (limit.bytes === undefined || bytes + blockBytes <= limit.bytes)) {
      bytes += writeSync(fd, block);
      rows += lines.length;
    }
  } finally {
    closeSync(fd);
  }
  return { rows, bytes };
}

/** One `npm run score` process, pinned, its wall time and VmHWM (bench/probes/peak-rss.js). */
function scoreOnce(pinned: Pinned, scorer: string, input: string, model: string, out: string, progress: boolean, env: Record<string, string> = {}): ScoreRun {
  const rssFile = `${out}.rss`;
  const started = performance.now();
  pinned.run(process.execPath, ['--require', path.join(root, 'bench/probes/peak-rss.js'), scorer, input, '--model', model, '--out', out], {
    env: { ...process.env, ...env, BENCH_PEAK_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', progress ? 'inherit' : 'ignore'],
  });
  const seconds = (performance.now() - started) / 1000;
  const probe = JSON.parse(readFileSync(rssFile, 'utf8')) as { peakRssMb: number; cpuMs: number };
  rmSync(rssFile, { force: true });
  return { seconds, cpuSeconds: probe.cpuMs / 1000, peakRssMb: probe.peakRssMb };
}

export function telcoLines(): { header: string; lines: string[] } {
  const text = readFileSync(telcoPath, 'utf8');
  const [header, ...lines] = text.split('\n').filter((l) => l !== '');
  return { header: `${header}\n`, lines };
}

function intentLines(): string[] {
  const rows = parse(readFileSync(path.join(root, 'models/intent/data/messages.csv'), 'utf8'), { columns: true }) as { text: string }[];
  return rows.map((r) => JSON.stringify({ text: r.text }));
}

const PICTURES = ['circle.jpg', 'square.png', 'triangle.webp', 'stripes.jpg'];

/** A folder of `count` pictures, the fixture pictures copied round (0000-circle.jpg, 0001-square.png, …). */
function pictureFolder(folder: string, count: number): { rows: number; bytes: number } {
  mkdirSync(folder);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const name = PICTURES[i % PICTURES.length]!;
    const copy = path.join(folder, `${String(i).padStart(4, '0')}-${name}`);
    copyFileSync(path.join(root, 'tests/fixtures/images', name), copy);
    bytes += statSync(copy).size;
  }
  return { rows: count, bytes };
}

export function runScoreThroughput(pinned: Pinned, log: (message: string) => void): ScoreThroughput[] {
  const scorer = bundle();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-score-'));
  try {
    const telco = telcoLines();
    // The shapes classifier in a models folder of its own, as a user adds it (README, "Images").
    const models = path.join(dir, 'models');
    const fixtures = path.join(root, 'tests/fixtures/images');
    modelAdd(path.join(fixtures, 'shapes_classifier.onnx'), 'shapes', models, ['--labels', path.join(fixtures, 'shapes_labels.txt')]);
    const inputs = [
      { model: 'churn', format: 'csv' as const, file: path.join(dir, 'churn.csv'), what: 'the Telco customers repeated', ...generate(path.join(dir, 'churn.csv'), telco.header, telco.lines, { rows: THROUGHPUT_ROWS }), env: {} as Record<string, string> },
      { model: 'intent', format: 'jsonl' as const, file: path.join(dir, 'intent.jsonl'), what: "intent's messages repeated", ...generate(path.join(dir, 'intent.jsonl'), '', intentLines(), { rows: THROUGHPUT_ROWS }), env: {} as Record<string, string> },
      { model: 'shapes', format: 'images' as const, file: path.join(dir, 'pictures'), what: 'the 4 fixture pictures copied round', ...pictureFolder(path.join(dir, 'pictures'), THROUGHPUT_IMAGES), env: { MODELS_DIR: models } },
    ];
    return inputs.map((input) => {
      log(`score: ${input.model} (${input.format}), ${input.rows} rows, ${THROUGHPUT_RUNS} runs`);
      const out = path.join(dir, `out.${input.format === 'images' ? 'csv' : input.format}`);
      const runs = Array.from({ length: THROUGHPUT_RUNS }, () => scoreOnce(pinned, scorer, input.file, input.model, out, false, input.env));
      const seconds = median(runs.map((r) => r.seconds));
      return {
        model: input.model,
        format: input.format,
        input: input.what,
        rows: input.rows,
        bytes: input.bytes,
        runs,
        recordsPerSecond: input.rows / seconds,
        recordsPerCpuSecond: input.rows / median(runs.map((r) => r.cpuSeconds)),
        peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runScoreMemory(pinned: Pinned, log: (message: string) => void): ScoreMemory {
  const scorer = bundle();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-score-memory-'));
  try {
    const telco = telcoLines();
    const file = path.join(dir, 'large.csv');
    const { rows, bytes } = generate(file, telco.header, telco.lines, { bytes: MEMORY_BYTES });
    log(`score-memory: ${(statSync(file).size / MiB).toFixed(0)} MiB, ${rows} rows generated; scoring (minutes)`);
    const small = scoreOnce(pinned, scorer, telcoPath, 'churn', path.join(dir, 'small.out.csv'), false);
    const large = scoreOnce(pinned, scorer, file, 'churn', path.join(dir, 'large.out.csv'), true);
    return { bytes, rows, seconds: large.seconds, cpuSeconds: large.cpuSeconds, recordsPerSecond: rows / large.seconds, peakRssMb: large.peakRssMb, smallPeakRssMb: small.peakRssMb, boundMb: SCORE_RSS_BOUND_MB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function scoreMachine(pinned: Pinned): Pick<ScoreResults, 'measured' | 'machine' | 'pinned'> {
  return { measured: new Date().toISOString(), machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version }, pinned: { cpu: pinned.cpu, command: pinned.command } };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const f = (x: number) => x.toFixed(1);

/** BENCHMARKS.md's section on the batch scorer. */
export function scoreSection(results: ScoreResults | undefined): string {
  if (results === undefined) return '## The batch scorer\n\nNot measured yet: `npm run bench -- score` and `npm run bench -- score-memory`.\n';
  const pin = results.pinned.command ? `pinned to one CPU (\`${results.pinned.command}\`)` : 'unpinned (taskset missing)';
  const lines = [
    '## The batch scorer',
    '',
    `\`npm run score\` (README, "Batch scoring") as a user runs it: its bundle in a fresh process, ${pin}, on ${results.machine.cpu}, Node ${results.machine.node}, measured ${results.measured.slice(0, 10)}. Records/s are rows over the median run's wall time, the process's start and the model's load included; records per CPU-second are rows over its CPU time (user + system), the steadier figure on a machine other work shares; peak RSS is the process's VmHWM at exit (bench/probes/peak-rss.js).`,
    '',
  ];
  if (results.throughput) {
    lines.push('| model | input | rows | size | records/s | records per CPU-second | runs, wall (s) | runs, CPU (s) | peak RSS |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const t of results.throughput) {
      const runs = (pick: (r: ScoreRun) => number) => t.runs.map((r) => f(pick(r))).join(', ');
      lines.push(
        `| ${t.model} | ${t.format === 'images' ? 'a folder of pictures' : t.format.toUpperCase()}, ${t.input} | ${n(t.rows)} | ${f(t.bytes / MiB)} MiB | ${n(t.recordsPerSecond)} | ${n(t.recordsPerCpuSecond)} | ${runs((r) => r.seconds)} | ${runs((r) => r.cpuSeconds)} | ${f(t.peakRssMb)} MB |`,
      );
    }
    lines.push('', "`npm run bench -- score`. The image row is the shapes classifier of tests/fixtures/images (224×224, ImageNet preprocessing), added by model:add to a scratch models folder: a row per picture, each decoded and run alone as the predict route runs a raw picture body.", '');
  }
  if (results.memory) {
    const m = results.memory;
    const met = m.peakRssMb < m.boundMb ? 'met' : 'missed';
    lines.push(
      `A generated CSV of ${f(m.bytes / MiB)} MiB (${n(m.rows)} rows, the Telco customers repeated) scored by churn in ${f(m.seconds)} s (${n(m.recordsPerSecond)} records/s${m.cpuSeconds === undefined ? '' : `, ${n(m.rows / m.cpuSeconds)} per CPU-second`}): peak RSS ${f(m.peakRssMb)} MB, against ${f(m.smallPeakRssMb)} MB on the 1 MB Telco file; bound ${m.boundMb} MB: ${met}. \`npm run bench -- score-memory\`.`,
      '',
    );
  }
  return lines.join('\n');
}
