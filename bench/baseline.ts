import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { BatchFigure } from './stats';
import type { Latency } from './stats';

/** The baseline's figures, from bench/baseline/bench.py, in our report's terms. */
export interface Baseline {
  versions: { python: string; sklearn: string; numpy: string; flask: string; gunicorn: string };
  cold: { importMs: number; unpickleMs: number; firstPredictionMs: number; totalMs: number; processMs: number; peakRssMb: number; runs: number[] };
  warmSingle: Latency;
  warmFlask: Latency;
  batch: Record<string, BatchFigure>;
}

interface BenchPy {
  cold_start: {
    import_ms: number;
    unpickle_ms: number;
    first_prediction_ms: number;
    total_ms: number;
    spawn_to_first_prediction_ms: number;
    peak_rss_mb: number;
    totals_ms: number[];
  };
  warm_single: Latency;
  warm_flask_in_process: Latency;
  batch: Record<string, { records_per_s: number; ms_per_batch: number; repetitions: number }>;
  versions: Baseline['versions'];
}

const PYTHON = '/usr/bin/python3';

/** Runs the baseline's in-process figures, or says why it cannot and returns undefined. */
export function runBaseline(root: string, log: (message: string) => void): Baseline | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn, pandas, flask'], { stdio: 'ignore' });
    execFileSync('/usr/bin/gunicorn', ['--version'], { stdio: 'ignore' });
  } catch {
    log('baseline skipped: /usr/bin/python3 with scikit-learn, pandas and Flask, or gunicorn, is missing (apt-get install python3-sklearn python3-pandas python3-flask gunicorn); measuring ours alone');
    return undefined;
  }
  const dir = path.join(root, 'bench/baseline');
  log('baseline: training the pickle');
  execFileSync(PYTHON, [path.join(dir, 'train_pickle.py')], { stdio: ['ignore', 'ignore', 'inherit'] });
  log('baseline: cold starts, warm calls, batches (bench.py)');
  const out = execFileSync(PYTHON, [path.join(dir, 'bench.py')], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  const b = JSON.parse(out.toString()) as BenchPy;
  return {
    versions: b.versions,
    cold: {
      importMs: b.cold_start.import_ms,
      unpickleMs: b.cold_start.unpickle_ms,
      firstPredictionMs: b.cold_start.first_prediction_ms,
      totalMs: b.cold_start.total_ms,
      processMs: b.cold_start.spawn_to_first_prediction_ms,
      peakRssMb: b.cold_start.peak_rss_mb,
      runs: b.cold_start.totals_ms,
    },
    warmSingle: b.warm_single,
    warmFlask: b.warm_flask_in_process,
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
export async function startGunicorn(port: number, customer: string): Promise<{ child: ChildProcess; coldStartMs: number }> {
  const started = performance.now();
  const child = spawn(path.resolve(__dirname, '..', 'bench/baseline/serve.sh'), [String(port)], { detached: true, stdio: 'ignore' });
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
