// npm run bench: our service against the stack our users run today (a
// scikit-learn pickle behind Flask and gunicorn), side by side, in one run,
// on this machine. Prints the figures with ratios and writes
// bench/results.json and BENCHMARKS.md. Never asserts a timing: it fails only
// when a figure cannot be measured. Bundled to .esbuild/ by the npm script.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { freePort, startOffline, stopProcessGroup } from '../scripts/offline-server';
import { runBaseline, startGunicorn, type Baseline } from './baseline';
import { loadTest } from './http-load';
import { costPerMillion } from './cost';
import { writeReport, type Results } from './report';
import { latency, median } from './stats';

const root = path.resolve(__dirname, '..');
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 10);
const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 10_000);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
// One client at a time: gunicorn's sync worker (the course's setup) serves
// one request at a time, so more would only queue there.
const HTTP_CONNECTIONS = 1;

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function customers(): Record<string, unknown>[] {
  const fixture = JSON.parse(readFileSync(path.join(root, 'models/churn/1.0.0/parity.json'), 'utf8')) as { cases: { input: Record<string, unknown> }[] };
  return fixture.cases.map((c) => c.input);
}

/** `serverless package` for the dev stage, as CI does; returns the zip and the resolved memory size. */
function packageArtifact(): { zip: string; memoryMb: number } {
  const out = path.join(root, '.artifacts', 'bench');
  const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
  execFileSync('timeout', ['300', process.execPath, cli, 'package', '--stage', 'dev', '--package', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const state = JSON.parse(readFileSync(path.join(out, 'serverless-state.json'), 'utf8')) as { service: { provider: { memorySize: number } } };
  return { zip: path.join(out, 'ml-inference.zip'), memoryMb: state.service.provider.memorySize };
}

function childJson<T>(args: string[], env: Record<string, string>, input?: string): T {
  const out = execFileSync(process.execPath, args, { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...env }, input, maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out.toString()) as T;
}

interface ColdSample {
  moduleLoadMs: number;
  sessionMs: number;
  firstCallMs: number;
  totalMs: number;
  peakRssMb: number;
  processMs: number;
}

function coldStarts(taskRoot: string, customer: string): ColdSample[] {
  const samples: ColdSample[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    const sample = childJson<Omit<ColdSample, 'processMs'>>([path.join(root, 'bench/probes/cold.js')], {
      TASK_ROOT: taskRoot,
      CUSTOMER: customer,
      DEFAULT_MODEL: 'churn',
      NODE_ENV: 'production',
    });
    samples.push({ ...sample, processMs: performance.now() - started });
  }
  return samples;
}

async function ourHttp(customer: string) {
  log('local HTTP: serverless-offline');
  const offline = await startOffline();
  try {
    return await loadTest(`${offline.base}/predict`, { 'x-api-key': offline.key, 'content-type': 'application/json' }, customer, HTTP_SECONDS);
  } finally {
    await stopProcessGroup(offline.child);
  }
}

async function baselineHttp(customer: string) {
  // Its own cold start (spawn to first 200) is measured on the way.
  log('local HTTP: gunicorn + Flask');
  const port = await freePort();
  const server = await startGunicorn(port, customer);
  try {
    return { coldStartMs: server.coldStartMs, ...(await loadTest(`http://127.0.0.1:${port}/predict`, { 'content-type': 'application/json' }, customer, HTTP_SECONDS)) };
  } finally {
    await stopProcessGroup(server.child);
  }
}

async function main(): Promise<void> {
  const records = customers();
  const customer = JSON.stringify(records[0]);

  log('packaging the dev stage');
  const { zip, memoryMb } = packageArtifact();
  const taskRoot = mkdtempSync(path.join(tmpdir(), 'bench-task-'));
  try {
    execFileSync('unzip', ['-q', zip, '-d', taskRoot]);
    const unzippedBytes = Number(execFileSync('du', ['-sb', taskRoot]).toString().split('\t')[0]);

    log(`cold starts: ${COLD_RUNS} fresh processes`);
    const cold = coldStarts(taskRoot, customer);

    log(`warm handler: ${WARM_CALLS} calls, then batches`);
    const handler = childJson<{ warmMs: number[]; batch: Results['ours']['handlerBatch'] }>(
      [path.join(root, 'bench/probes/handler.js'), String(WARM_CALLS)],
      { TASK_ROOT: taskRoot, DEFAULT_MODEL: 'churn', NODE_ENV: 'production' },
      JSON.stringify(records),
    );

    log('library call on parsed records');
    const libraryBundle = path.join(root, '.esbuild/bench-library.js');
    execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
      path.join(root, 'bench/probes/library.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node',
      `--outfile=${libraryBundle}`, '--log-level=warning',
    ]);
    const library = childJson<{ singleMs: number[]; batch: Results['ours']['libraryBatch'] }>(
      [libraryBundle, String(WARM_CALLS)],
      {},
      JSON.stringify(records),
    );

    const baseline: Baseline | undefined = runBaseline(root, log);
    const ourLocalHttp = await ourHttp(customer);
    const baselineLocalHttp = baseline ? await baselineHttp(customer) : undefined;

    const warm = latency(handler.warmMs);
    const results: Results = {
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { coldRuns: COLD_RUNS, warmCalls: WARM_CALLS, httpSeconds: HTTP_SECONDS, httpConnections: HTTP_CONNECTIONS },
      ours: {
        artifact: { zippedMb: statSync(zip).size / 1e6, unzippedMb: unzippedBytes / 1e6, lambdaLimitMb: 250 },
        cold: {
          moduleLoadMs: median(cold.map((c) => c.moduleLoadMs)),
          sessionMs: median(cold.map((c) => c.sessionMs)),
          firstCallMs: median(cold.map((c) => c.firstCallMs)),
          totalMs: median(cold.map((c) => c.totalMs)),
          processMs: median(cold.map((c) => c.processMs)),
          peakRssMb: median(cold.map((c) => c.peakRssMb)),
          runs: cold.map((c) => c.totalMs),
        },
        warmHandler: warm,
        librarySingle: latency(library.singleMs),
        handlerBatch: handler.batch,
        libraryBatch: library.batch,
        cost: costPerMillion(JSON.parse(readFileSync(path.join(root, 'bench/pricing.json'), 'utf8')), memoryMb, warm.p50),
        localHttp: ourLocalHttp,
      },
      baseline: baseline ? { ...baseline, localHttp: baselineLocalHttp } : undefined,
    };
    writeReport(root, results);
  } finally {
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

// --report rewrites BENCHMARKS.md from the figures already in bench/results.json.
const run = process.argv.includes('--report')
  ? async () => writeReport(root, JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as Results)
  : main;

run().catch((error: unknown) => {
  console.error(`bench: a figure could not be measured: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

