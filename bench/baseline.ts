import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Pinned } from './pin';
import type { BatchFigure, Latency } from './stats';

/** The baseline's figures in our report's terms: warm and batch from bench/baseline/bench.py, cold starts from cold_child.py. */
export interface Baseline {
  versions: { python: string; sklearn: string; numpy: string; flask: string; gunicorn: string };
  cold: { importMs: number; unpickleMs: number; firstPredictionMs: number; totalMs: number; spawnToAnswerMs: number; processMs: number; peakRssMb: number; runs: number[] };
  warmSingle: Latency;
  warmSingleEarly: Latency;
  warmFlask: Latency;
  warmFlaskEarly: Latency;
  batch: Record<string, BatchFigure>;
}

interface BenchPy {
  warm_single: Latency;
  warm_single_early: Latency;
  warm_flask_in_process: Latency;
  warm_flask_in_process_early: Latency;
  batch: Record<string, { records_per_s: number; ms_per_batch: number; repetitions: number }>;
  versions: Baseline['versions'];
}

/** One cold start as cold_child.py reports it, timed in the child from its first statement. */
export interface PythonColdStart {
  import_ms: number;
  unpickle_ms: number;
  first_prediction_ms: number;
  total_ms: number;
  peak_rss_mb: number;
  /** CLOCK_MONOTONIC when the prediction was done. */
  done_monotonic_s: number;
}

const dir = (root: string) => path.join(root, 'bench/baseline');
const pickle = (root: string) => path.join(dir(root), '.build/model.bin');

/** Trains the pickle (train_pickle.py), as the course does. */
export function trainBaseline(root: string, python: string): void {
  execFileSync(python, [path.join(dir(root), 'train_pickle.py')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** One fresh interpreter: imports + unpickle + first prediction (cold_child.py), on the pinned CPU. */
export function pythonColdStart(root: string, python: string, customer: string, pinned: Pinned): { child: PythonColdStart; processMs: number; spawnToAnswerMs: number } {
  const spawnedNs = process.hrtime.bigint();
  const started = performance.now();
  const out = pinned.run(python, [path.join(dir(root), 'cold_child.py'), pickle(root), customer], { env: { PATH: process.env.PATH ?? '' } });
  const processMs = performance.now() - started;
  const child = JSON.parse(out) as PythonColdStart;
  return { child, processMs, spawnToAnswerMs: child.done_monotonic_s * 1e3 - Number(spawnedNs) / 1e6 };
}

/** Warm calls and batches (bench.py), on the pinned CPU, after the same warm-up as ours. */
export function runBaseline(root: string, python: string, pinned: Pinned, options: { warmup: number; iterations: number }): Omit<Baseline, 'cold'> {
  const out = pinned.run(
    python,
    [path.join(dir(root), 'bench.py'), '--warmup', String(options.warmup), '--warm-iterations', String(options.iterations), '--flask-iterations', String(options.iterations)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const b = JSON.parse(out) as BenchPy;
  return {
    versions: b.versions,
    warmSingle: b.warm_single,
    warmSingleEarly: b.warm_single_early,
    warmFlask: b.warm_flask_in_process,
    warmFlaskEarly: b.warm_flask_in_process_early,
    batch: Object.fromEntries(
      Object.entries(b.batch).map(([size, x]) => [size, { recordsPerSecond: x.records_per_s, msPerBatch: x.ms_per_batch, batches: x.repetitions }]),
    ),
  };
}

/**
 * Starts gunicorn with the Flask app on 127.0.0.1:port, in its own process
 * group. Ready is the first 200 on /predict: gunicorn's "Booting worker" line
 * comes before the worker has imported the app.
 */
export async function startGunicorn(root: string, python: string, port: number, customer: string): Promise<{ child: ChildProcess; coldStartMs: number }> {
  const started = performance.now();
  const child = spawn(path.join(dir(root), 'serve.sh'), [String(port)], { detached: true, stdio: 'ignore', env: { ...process.env, PYTHON: python } });
  const deadline = started + 30_000;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: customer });
      if (res.status === 200) return { child, coldStartMs: performance.now() - started };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('gunicorn did not answer within 30 s');
}
