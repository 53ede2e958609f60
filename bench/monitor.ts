// npm run bench -- monitor: how far one monitor run goes (README,
// "Monitoring"): records/s, peak memory, and what the feedback join holds
// per million feedback items, over synthetic-but-valid churn captures.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { childJson, customers, root } from './artifact';
import { API_KEY_ID, capturedLines, deployedLine, fmt } from './capture';
import type { Pinned } from './pin';

const TARGET_LINES = Number(process.env.BENCH_MONITOR_LINES ?? 1_000_000);
/** Generation stops here even short of TARGET_LINES, so the bench stays bounded on a slow disk. */
const GENERATE_SECONDS = Number(process.env.BENCH_MONITOR_SECONDS ?? 60);
/** Lines per file. folderStore reads a file whole, so this, not the total, bounds what one read holds. */
const LINES_PER_FILE = 10_000;
/** Every tenth inference gets feedback. */
const FEEDBACK_EVERY = 10;

export interface MonitorResults {
  measured: string;
  machine: { cpu: string; cores: number; node: string };
  pinned: { cpu: number | null; command: string | null };
  data: { seedLines: number; inferenceLines: number; feedbackLines: number; linesPerFile: number; inferenceMiB: number; feedbackMiB: number; generateSeconds: number };
  run: {
    ms: number;
    feedbackMs: number;
    recordsPerSecond: number;
    /** Inference lines over the inference phase alone (feedback read before it). */
    inferencePhaseRecordsPerSecond: number;
    rssBeforeMb: number;
    peakRssMb: number;
    heapBeforeMb: number;
    heapPeakMb: number;
    /** The highest heapUsed after a full GC at a file boundary, in a second run (the 'retained' probe). */
    heapRetainedMb: number;
    records: number;
    joined: number;
    drifting: string[];
    rocAuc: number | null;
  };
  join: { sizes: { items: number; heapMb: number }[]; mbPerMillion: number; bytesPerItem: number };
}

interface ProbeResult {
  inferenceLines: number;
  feedbackLines: number;
  ms: number;
  feedbackMs: number;
  rssBeforeMb: number;
  peakRssMb: number;
  heapBeforeMb: number;
  heapPeakMb: number;
  heapJoinedMb: number;
  report: { records: number; drifting: string[]; joined: number; rocAuc: number | null } | null;
}

/**
 * Real lines replicated: the packaged handler captures every held-out
 * customer once (CAPTURE_SAMPLE=100, CAPTURE_DIR a scratch folder), then each
 * line is written again and again in its deployed shape with a new UUID as
 * its inference and request id, up to TARGET_LINES or GENERATE_SECONDS, in
 * the S3 layout (captures/<type>/model=…/version=…/date=…/). Every tenth
 * gets a feedback line with the same key id, its `actual` drawn with the
 * prediction's own score as the chance of churn (a calibrated model's
 * feedback).
 */
function generate(pinned: Pinned, taskRoot: string, env: Record<string, string>, dir: string): MonitorResults['data'] {
  const seed = capturedLines(pinned, taskRoot, env, customers());
  if (seed.length === 0) throw new Error('the handler captured no lines');
  // Each seed line split around a placeholder id, so a new line is a join, not a JSON round trip.
  const PLACEHOLDER = '@ID@';
  const templates = seed.map((line) => ({
    parts: deployedLine(line, PLACEHOLDER).split(PLACEHOLDER),
    score: (JSON.parse(line) as { prediction?: { score?: number } }).prediction?.score ?? 0.5,
  }));
  const first = JSON.parse(seed[0]!) as { model: string; version: string; time: string };
  const inferenceDir = path.join(dir, `captures/inference/model=${first.model}/version=${first.version}/date=${first.time.slice(0, 10)}`);
  const now = new Date().toISOString();
  const feedbackDir = path.join(dir, `captures/feedback/model=${first.model}/version=_/date=${now.slice(0, 10)}`);
  mkdirSync(inferenceDir, { recursive: true });
  mkdirSync(feedbackDir, { recursive: true });
  const started = performance.now();
  let lines = 0;
  let feedback: string[] = [];
  let inferenceBytes = 0;
  let feedbackBytes = 0;
  let feedbackFiles = 0;
  const flushFeedback = () => {
    const text = `${feedback.join('\n')}\n`;
    writeFileSync(path.join(feedbackDir, `part-${String(feedbackFiles++).padStart(5, '0')}.jsonl`), text);
    feedbackBytes += Buffer.byteLength(text);
    feedback = [];
  };
  for (let file = 0; lines < TARGET_LINES && performance.now() - started < GENERATE_SECONDS * 1000; file++) {
    const chunk: string[] = [];
    for (let i = 0; i < LINES_PER_FILE && lines < TARGET_LINES; i++, lines++) {
      const t = templates[lines % templates.length]!;
      const id = randomUUID();
      chunk.push(t.parts.join(id));
      if (lines % FEEDBACK_EVERY === 0) {
        feedback.push(JSON.stringify({ capture: 'feedback', inference_id: id, request_id: randomUUID(), time: now, model: first.model, api_key_id: API_KEY_ID, actual: Math.random() < t.score }));
      }
    }
    const text = `${chunk.join('\n')}\n`;
    writeFileSync(path.join(inferenceDir, `part-${String(file).padStart(5, '0')}.jsonl`), text);
    inferenceBytes += Buffer.byteLength(text);
    if (feedback.length >= LINES_PER_FILE) flushFeedback();
  }
  if (feedback.length > 0) flushFeedback();
  return {
    seedLines: seed.length,
    inferenceLines: lines,
    feedbackLines: Math.ceil(lines / FEEDBACK_EVERY),
    linesPerFile: LINES_PER_FILE,
    inferenceMiB: inferenceBytes / 2 ** 20,
    feedbackMiB: feedbackBytes / 2 ** 20,
    generateSeconds: (performance.now() - started) / 1000,
  };
}

export function runMonitorBench(pinned: Pinned, taskRoot: string, env: Record<string, string>): MonitorResults {
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const { CAPTURE_DIR: _, ...deployed } = env;
  const bundle = path.join(root, '.esbuild/bench-monitor.js');
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'bench/probes/monitor.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp', '--external:@aws-sdk/client-s3',
    `--outfile=${bundle}`, '--log-level=warning',
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-monitor-'));
  try {
    log(`monitor: generating up to ${TARGET_LINES.toLocaleString('en-US')} churn capture lines (at most ${GENERATE_SECONDS} s) and feedback for every ${FEEDBACK_EVERY}th`);
    const data = generate(pinned, taskRoot, deployed, dir);
    // The package's models folder: the monitor reads the version's baseline from it.
    const probe = (args: string[]) => childJson<ProbeResult>(pinned, ['--expose-gc', bundle, dir, ...args], { MODELS_DIR: path.join(taskRoot, 'models') }).result;
    log(`monitor: one run over ${data.inferenceLines.toLocaleString('en-US')} lines and ${data.feedbackLines.toLocaleString('en-US')} feedback items`);
    const run = probe(['run']);
    if (run.inferenceLines !== data.inferenceLines || run.feedbackLines !== data.feedbackLines) {
      throw new Error(`the monitor read ${run.inferenceLines} inference and ${run.feedbackLines} feedback lines of ${data.inferenceLines} and ${data.feedbackLines}`);
    }
    log('monitor: the same run again with a full GC at each file, for what it retains');
    const retained = probe(['retained']);
    // The join at two sizes, half the feedback files and all of them, each in a fresh process; the slope is per item, the intercept the run's fixed part.
    const files = Math.ceil(data.feedbackLines / LINES_PER_FILE);
    log(`monitor: the feedback join's heap at ${Math.ceil(files / 2)} and ${files} feedback files`);
    const sizes = [Math.ceil(files / 2), files].map((n) => {
      const r = probe(['join', String(n)]);
      return { items: r.feedbackLines, heapMb: r.heapJoinedMb - r.heapBeforeMb };
    });
    const [a, b] = sizes as [(typeof sizes)[0], (typeof sizes)[0]];
    const perItemMb = (b.heapMb - a.heapMb) / (b.items - a.items);
    return {
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
      pinned: { cpu: pinned.cpu, command: pinned.command },
      data,
      run: {
        ms: run.ms,
        feedbackMs: run.feedbackMs,
        recordsPerSecond: run.inferenceLines / (run.ms / 1000),
        inferencePhaseRecordsPerSecond: run.inferenceLines / ((run.ms - run.feedbackMs) / 1000),
        rssBeforeMb: run.rssBeforeMb,
        peakRssMb: run.peakRssMb,
        heapBeforeMb: run.heapBeforeMb,
        heapPeakMb: run.heapPeakMb,
        heapRetainedMb: retained.heapPeakMb,
        records: run.report?.records ?? 0,
        joined: run.report?.joined ?? 0,
        drifting: run.report?.drifting ?? [],
        rocAuc: run.report?.rocAuc ?? null,
      },
      join: { sizes, mbPerMillion: perItemMb * 1e6, bytesPerItem: perItemMb * 2 ** 20 },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** BENCHMARKS.md's "How far one monitor run goes" section. */
export function monitorSection(m: MonitorResults | undefined): string {
  if (!m) return '## How far one monitor run goes\n\nNot measured yet: `npm run bench -- monitor` (under a minute).\n';
  const d = m.data;
  const r = m.run;
  const n = (x: number) => x.toLocaleString('en-US');
  const pin = m.pinned.command ? `the monitor pinned to CPU ${m.pinned.cpu} (\`${m.pinned.command}\`)` : 'the monitor **not pinned** (taskset was not available)';
  const [a, b] = m.join.sizes as [MonitorResults['join']['sizes'][0], MonitorResults['join']['sizes'][0]];
  return `## How far one monitor run goes

Measured on ${m.measured.slice(0, 10)} by \`npm run bench -- monitor\` (under a minute; also part of \`npm run bench\`): ${m.machine.cpu}, ${m.machine.cores} cores, shared with other work; Node ${m.machine.node}; ${pin}.

- Data: the packaged predict handler captured each of the ${n(d.seedLines)} held-out customers once (CAPTURE_SAMPLE=100, CAPTURE_DIR a scratch folder); those lines were written again in their deployed shape (API Gateway's request id, a UUID, as inference and request id; an API key id) with a new id each, up to ${n(d.inferenceLines)} lines (${fmt(d.inferenceMiB)} MiB, ${fmt(d.generateSeconds)} s to write), ${n(d.linesPerFile)} lines a file, and a feedback line for every tenth (${n(d.feedbackLines)}, ${fmt(d.feedbackMiB)} MiB) with the same key id, \`actual\` drawn with the prediction's own score as the chance of churn.
- Run: \`runMonitor\` (lib/monitoring/monitor.ts) over \`folderStore\` for churn, a 24 h window, in a process of its own (bench/probes/monitor.ts); the files were just written, so they are read from the page cache, with no S3 request in the time. Records/s: inference lines over the whole run, feedback phase included.
- Memory: peak RSS is the process's VmHWM; heap growth is the highest \`heapUsed\` seen at each file read (garbage V8 had not yet collected included) less \`heapUsed\` after a full GC before the run; what the run retains is the highest \`heapUsed\` after a full GC before each file read, in a second run of the same data (untimed): the feedback map, the joined pairs and the bins, and the previous file's text, which the monitor's line reader still references until the next read returns (a file is ${n(d.linesPerFile)} lines, ~${fmt(d.inferenceMiB / Math.ceil(d.inferenceLines / d.linesPerFile))} MiB, held whole while it is split and parsed, so about two files' text can be in the heap at once). The join: in a fresh process per size, only the first half of the feedback files and then all of them, no inference; \`heapUsed\` after a full GC before the run and again (full GC) when the monitor has read the feedback and lists the inference partitions, with its feedback map built and held. The per-item cost is the slope between the two sizes, extrapolated linearly to a million (V8's hash table grows by doubling, so a given size can sit up to a step above or below the line).

| figure | value |
| --- | --- |
| inference lines read, feedback lines read | ${n(r.records)}, ${n(d.feedbackLines)} (${n(r.joined)} joined) |
| one run, wall time | ${fmt(r.ms / 1000)} s (feedback phase ${fmt(r.feedbackMs / 1000)} s) |
| records/s, whole run | ${n(Math.round(r.recordsPerSecond))} |
| records/s, inference phase alone | ${n(Math.round(r.inferencePhaseRecordsPerSecond))} |
| peak RSS (VmHWM) | ${fmt(r.peakRssMb)} MB (${fmt(r.rssBeforeMb)} MB before the run) |
| heap growth during the run (peak seen − before) | ${fmt(r.heapPeakMb - r.heapBeforeMb)} MB (${fmt(r.heapBeforeMb)} MB before) |
| heap the run retains between files (peak − before) | ${fmt(r.heapRetainedMb - r.heapBeforeMb)} MB |
| feedback join's heap, ${n(a.items)} items | ${fmt(a.heapMb)} MB |
| feedback join's heap, ${n(b.items)} items | ${fmt(b.heapMb)} MB |
| feedback join, per million items (slope) | ${fmt(m.join.mbPerMillion)} MB (${fmt(m.join.bytesPerItem)} B an item) |
| drifting features, ROC AUC of the joined feedback | ${r.drifting.length > 0 ? r.drifting.join(', ') : 'none'}, ${r.rocAuc === null ? 'n/a' : fmt(r.rocAuc)} |

MB here is 2^20 bytes.
`;
}
