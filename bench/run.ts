// npm run bench: our service against the stack our users run today (a
// scikit-learn pickle behind Flask and gunicorn), side by side, in one run,
// on this machine. Prints the figures with ratios and writes
// bench/results.json and BENCHMARKS.md. Never asserts a timing: it fails only
// when a figure cannot be measured. Bundled to .esbuild/ by the npm script.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { freePort, startLocalApi, stopProcessGroup } from '../scripts/local-api';
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
function packageArtifact(): { zip: string; memoryMb: number; artifactDir: string } {
  const out = path.join(root, '.artifacts', 'bench');
  const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
  execFileSync('timeout', ['300', process.execPath, cli, 'package', '--stage', 'dev', '--package', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const state = JSON.parse(readFileSync(path.join(out, 'serverless-state.json'), 'utf8')) as { service: { provider: { memorySize: number } } };
  return { zip: path.join(out, 'ml-inference.zip'), memoryMb: state.service.provider.memorySize, artifactDir: out };
}

/**
 * Runs a probe; its figures are the BENCH-RESULT line after whatever the
 * handler logged. Its stdout goes to a file, as to a log collector reading
 * on another CPU: a pipe read by this process would wake it on every line
 * and charge that switch to the handler.
 */
function childJson<T>(args: string[], env: Record<string, string>, input?: string): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-out-'));
  const file = path.join(dir, 'stdout');
  const fd = openSync(file, 'w');
  try {
    execFileSync(process.execPath, args, { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...env }, input, stdio: ['pipe', fd, 'inherit'] });
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('BENCH-RESULT '));
    if (!line) throw new Error(`${path.basename(args[0]!)} printed no BENCH-RESULT line`);
    return JSON.parse(line.slice('BENCH-RESULT '.length)) as T;
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The predict function's environment as the packaged template sets it (log level, metrics namespace, ...). */
function functionEnvironment(artifactDir: string): Record<string, string> {
  const t = JSON.parse(readFileSync(path.join(artifactDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Properties: { Environment?: { Variables: Record<string, string> } } }>;
  };
  return t.Resources.PredictLambdaFunction!.Properties.Environment!.Variables;
}

/**
 * What each kind of observability output adds, cumulatively (README,
 * "Observability"): nothing written, then the access line, then EMF metrics,
 * then X-Ray tracing on: for a request that is not sampled (Lambda samples
 * 1 request a second and 5% beyond, so most are not), and for one that is,
 * its segments sent to a UDP sink on loopback. The unsampled one is the
 * deployed configuration as most requests meet it and gives the headline
 * figures; the sampled one is its worst case.
 */
function observabilityVariants(functionEnv: Record<string, string>, taskRoot: string, xrayPort: number): { name: string; env: Record<string, string> }[] {
  const quiet = { ...functionEnv, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const logged = { ...quiet, POWERTOOLS_LOG_LEVEL: functionEnv.POWERTOOLS_LOG_LEVEL ?? 'INFO' };
  const metrics = { ...logged, POWERTOOLS_METRICS_DISABLED: 'false' };
  const traced = {
    ...metrics,
    // What Lambda sets for a function with active tracing, and the trace header of a sampled request.
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-predict',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: 'handlers/predict.handler',
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayPort}`,
    POWERTOOLS_TRACE_ENABLED: 'true',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
  };
  return [
    { name: 'nothing written', env: quiet },
    { name: '+ access line', env: logged },
    { name: '+ EMF metrics', env: metrics },
    { name: '+ X-Ray tracing on, request not sampled (as deployed, most requests)', env: traced },
    { name: '+ X-Ray tracing, every request sampled (worst case)', env: { ...traced, _X_AMZN_TRACE_ID: traced._X_AMZN_TRACE_ID.replace('Sampled=0', 'Sampled=1') } },
  ];
}

interface ColdSample {
  moduleLoadMs: number;
  sessionMs: number;
  firstCallMs: number;
  totalMs: number;
  peakRssMb: number;
  processMs: number;
}

function coldStarts(taskRoot: string, customer: string, env: Record<string, string>): ColdSample[] {
  const samples: ColdSample[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const started = performance.now();
    const sample = childJson<Omit<ColdSample, 'processMs'>>([path.join(root, 'bench/probes/cold.js')], {
      ...env,
      TASK_ROOT: taskRoot,
      CUSTOMER: customer,
      NODE_ENV: 'production',
    });
    samples.push({ ...sample, processMs: performance.now() - started });
  }
  return samples;
}

/**
 * A models folder like the package's, where churn's served version also has
 * a shadow: a copy of itself as another version (the same work again, as a
 * retrained model of the same shape would be), so the bench can measure what
 * a shadow adds to a request (README, "Releasing a new version").
 */
function shadowedModelsDir(taskRoot: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-shadow-'));
  cpSync(path.join(taskRoot, 'models'), dir, { recursive: true });
  const churn = path.join(dir, 'churn');
  const served = readdirSync(churn, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort().at(-1)!;
  const shadow = '999.0.0';
  cpSync(path.join(churn, served), path.join(churn, shadow), { recursive: true });
  const manifest = path.join(churn, shadow, 'model.json');
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), version: shadow }));
  writeFileSync(path.join(churn, 'traffic.json'), JSON.stringify({ split: { [served]: 100 }, shadow }));
  return dir;
}

async function ourHttp(customer: string) {
  log('local HTTP: npm start (local gateway + serverless-offline)');
  // The pro plan's limits raised so the loop measures the stack, not the throttle.
  const local = await startLocalApi({ params: ['proRateLimit=1000000', 'proBurstLimit=1000000'] });
  try {
    const key = local.keys['ml-inference-local-pro']!;
    return await loadTest(`${local.base}/predict`, { 'x-api-key': key, 'content-type': 'application/json' }, customer, HTTP_SECONDS);
  } finally {
    await stopProcessGroup(local.child);
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
  const { zip, memoryMb, artifactDir } = packageArtifact();
  const taskRoot = mkdtempSync(path.join(tmpdir(), 'bench-task-'));
  try {
    execFileSync('unzip', ['-q', zip, '-d', taskRoot]);
    const unzippedBytes = Number(execFileSync('du', ['-sb', taskRoot]).toString().split('\t')[0]);

    // The X-Ray daemon's stand-in: the SDK sends each request's segments here.
    const xraySink = createSocket('udp4');
    await new Promise<void>((resolve) => xraySink.bind(0, '127.0.0.1', resolve));
    const variants = observabilityVariants(functionEnvironment(artifactDir), taskRoot, xraySink.address().port);
    // The headline figures: as deployed, for a request X-Ray does not sample (most are).
    const typical = variants.findIndex((v) => v.name.includes('not sampled'));
    const deployed = variants[typical]!.env;

    log(`cold starts: ${COLD_RUNS} fresh processes for each of ${variants.length} observability settings`);
    const colds = variants.map((v) => coldStarts(taskRoot, customer, v.env));
    const cold = colds[typical]!;

    log(`warm handler: ${WARM_CALLS} calls, then batches`);
    const warmHandler = (env: Record<string, string>, calls: number, single: boolean) =>
      childJson<{ warmMs: number[]; batch: Results['ours']['handlerBatch'] }>(
        [path.join(root, 'bench/probes/handler.js'), String(calls), ...(single ? ['single'] : [])],
        { ...env, TASK_ROOT: taskRoot, NODE_ENV: 'production' },
        JSON.stringify(records),
      );
    const handler = warmHandler(deployed, WARM_CALLS, false);
    log(`warm handler per observability setting: ${WARM_CALLS} calls each, in two alternating rounds`);
    const warmByVariant = variants.map(() => [] as number[]);
    for (let round = 0; round < 2; round++) {
      variants.forEach((v, i) => warmByVariant[i]!.push(...warmHandler(v.env, WARM_CALLS / 2, true).warmMs));
    }
    log(`warm handler with a shadow version: ${WARM_CALLS} calls each, with and without, in two alternating rounds`);
    const shadowDir = shadowedModelsDir(taskRoot);
    const withShadow: number[] = [];
    const withoutShadow: number[] = [];
    for (let round = 0; round < 2; round++) {
      withoutShadow.push(...warmHandler(deployed, WARM_CALLS / 2, true).warmMs);
      withShadow.push(...warmHandler({ ...deployed, MODELS_DIR: shadowDir }, WARM_CALLS / 2, true).warmMs);
    }
    rmSync(shadowDir, { recursive: true, force: true });
    xraySink.close();

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
        observability: variants.map((v, i) => ({
          setting: v.name,
          warmP50Ms: latency(warmByVariant[i]!).p50,
          coldTotalMs: median(colds[i]!.map((c) => c.totalMs)),
          coldProcessMs: median(colds[i]!.map((c) => c.processMs)),
        })),
        shadow: { withoutP50Ms: latency(withoutShadow).p50, withP50Ms: latency(withShadow).p50, withoutP99Ms: latency(withoutShadow).p99, withP99Ms: latency(withShadow).p99 },
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

