// npm run bench: our service against the stack our users run today (a
// scikit-learn pickle behind Flask and gunicorn), side by side, in one run,
// on this machine, both pinned to one CPU (bench/pin.ts). Prints the figures
// with ratios and writes bench/results.json and BENCHMARKS.md. Never asserts
// a timing: it fails only when a figure cannot be measured, and stops at once
// (printing the command that installs them) when the baseline's packages are
// missing. Bundled to .esbuild/ by the npm script.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createEncoder } from '../lib/kinds/binary-classification/one-hot-encoder';
import type { BinaryClassificationManifest } from '../lib/kinds/binary-classification/manifest';
import { kindOf, type Manifest } from '../lib/kinds';
import { freePort, startLocalApi, stopProcessGroup } from '../scripts/local-api';
import { bytesIn, childJson, modelAdd, customers, functionEnvironments, lambdaTracing, packageArtifact, root, SAMPLED, UNSAMPLED } from './artifact';
import { BASELINE_INSTALL, baselineAvailable, baselinePython } from './baseline-check';
import { captureSection, runCapture, type CaptureResults } from './capture';
import { largeModelSection, runLargeModel, type LargeModelResults } from './large-model';
import { fromLocalStore } from './large-model-store';
import { monitorSection, runMonitorBench, type MonitorResults } from './monitor';
import { pythonColdStart, runBaseline, startGunicorn, trainBaseline, type Baseline } from './baseline';
import { loadTest } from './http-load';
import { costPerMillion } from './cost';
import { IMAGE_BASELINE_INSTALL, imageBaselineAvailable, imageKindLanded, runImages } from './images';
import { pinning } from './pin';
import { runScoreMemory, runScoreThroughput, scoreMachine, scoreSection, type ScoreResults } from './score';
import { batchCostSection, runBatchCost, type BatchCostResults } from './batch-cost';
import type { ColdFigure } from './cold-figure';
import { writeReport, type BatchStages, type Results } from './report';
import { latency, median, medians } from './stats';

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const WARM_CALLS = Number(process.env.BENCH_WARM_CALLS ?? 10_000);
// Calls before the warm window: V8 is still compiling the handler's hot code
// for the first several thousand (bench/probes/handler.js).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20_000);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
// One client at a time: gunicorn's sync worker (the course's setup) serves
// one request at a time, so more would only queue there.
const HTTP_CONNECTIONS = 1;
/** The tensor model the bench adds with model:add (README, "Bring your own model"). */
const TENSOR_FIXTURE = 'tests/fixtures/torch_multi_io.onnx';
const MiB = 2 ** 20;

/** bench/results.json: the main figures, and the capture, monitor, large-model, batch scorer and batch job cost rows (bench/capture.ts, bench/monitor.ts, bench/large-model.ts, bench/score.ts, bench/batch-cost.ts) when measured. */
type AllResults = Results & { capture?: CaptureResults; monitor?: MonitorResults; largeModel?: LargeModelResults; score?: ScoreResults; batchCost?: BatchCostResults };

/** writeReport, then the capture, monitor, large-model, batch scorer and batch job cost sections after its BENCHMARKS.md (report.ts knows only the main figures). */
function writeAll(results: AllResults): void {
  writeReport(root, results);
  appendFileSync(path.join(root, 'BENCHMARKS.md'), `\n${captureSection(results.capture)}\n${monitorSection(results.monitor)}\n${largeModelSection(results.largeModel)}\n${scoreSection(results.score)}\n${batchCostSection(results.batchCost)}`);
}

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Variant {
  name: string;
  env: Record<string, string>;
  /** The first warm call's trace header: a sampled one, so the figures are those of a container that has met one (the daemon's socket open). */
  firstTraceId?: string;
}

/**
 * What each kind of observability output adds, cumulatively (README,
 * "Observability"): nothing written, then the access line, then EMF metrics,
 * then X-Ray tracing on: for a request that is not sampled (Lambda samples
 * 1 request a second and 5% beyond, so most are not), and for one that is,
 * its segments sent to a UDP sink on loopback. The unsampled one is the
 * deployed configuration as most requests meet it and gives the headline
 * figures; the sampled one is its worst case. The daemon's socket opens on a
 * container's first sampled request (lib/observability/xray-daemon.ts): the
 * warm figures of the traced settings are those of a container that has met
 * one, as any container serving more than a few requests has.
 */
function observabilityVariants(functionEnv: Record<string, string>, taskRoot: string, xrayPort: number): Variant[] {
  const quiet = { ...functionEnv, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' };
  const logged = { ...quiet, POWERTOOLS_LOG_LEVEL: functionEnv.POWERTOOLS_LOG_LEVEL ?? 'INFO' };
  const metrics = { ...logged, POWERTOOLS_METRICS_DISABLED: 'false' };
  const traced = { ...metrics, XRAY_TRACING: 'true', ...lambdaTracing('predict', taskRoot, xrayPort, UNSAMPLED) };
  return [
    { name: 'nothing written', env: quiet },
    { name: '+ access line', env: logged },
    { name: '+ EMF metrics', env: metrics },
    { name: '+ X-Ray tracing on, request not sampled (as deployed, most requests)', env: traced, firstTraceId: SAMPLED },
    { name: '+ X-Ray tracing, every request sampled (worst case)', env: { ...traced, _X_AMZN_TRACE_ID: SAMPLED } },
  ];
}

type OurColdSample = Omit<ColdFigure, 'processMs' | 'spawnToAnswerMs'>;

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

/**
 * The package's models plus a tensor model added with `model:add` (README,
 * "Bring your own model"), in a scratch folder; its name and a request (its
 * first golden case's). Not in the package, so its schemas (none for the
 * tensor kind) would be compiled at run time; the probe counts them.
 */
function tensorModelsDir(taskRoot: string): { dir: string; name: string; body: unknown } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-tensor-'));
  cpSync(path.join(taskRoot, 'models'), dir, { recursive: true });
  const name = 'ranker';
  const manifest = modelAdd(path.join(root, TENSOR_FIXTURE), name, dir);
  if (manifest.kind !== 'tensor') throw new Error(`model:add made ${TENSOR_FIXTURE} a ${manifest.kind} model, not a tensor one`);
  return { dir, name, body: kindOf(manifest).goldenRequest(manifest, manifest.golden.cases[0]!) };
}

function apiEvent(method: string, resource: string, pathParameters: Record<string, string> | null, body?: unknown): APIGatewayProxyEvent {
  const filled = Object.entries(pathParameters ?? {}).reduce((p, [k, v]) => p.replace(`{${k}}`, v), resource);
  return {
    httpMethod: method,
    path: filled,
    resource,
    pathParameters,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {},
  } as unknown as APIGatewayProxyEvent;
}

/** The first event each function answers in the cold-start table. */
function functionEvents(taskRoot: string, customer: Record<string, unknown>): { fn: string; event: APIGatewayProxyEvent; what: string }[] {
  const churn = JSON.parse(readFileSync(path.join(taskRoot, 'models/churn/1.0.0/model.json'), 'utf8')) as BinaryClassificationManifest;
  const features = Array.from(createEncoder(churn.features).encode([customer]).data);
  return [
    { fn: 'predict', event: apiEvent('POST', '/predict', null, customer), what: 'POST /predict, one customer' },
    { fn: 'health', event: apiEvent('GET', '/health', null), what: 'GET /health' },
    { fn: 'models', event: apiEvent('GET', '/models', null), what: 'GET /models (manifests only, no onnxruntime)' },
    { fn: 'v2-metadata', event: apiEvent('GET', '/v2/models/{name}/ready', { name: 'churn' }), what: 'GET /v2/models/churn/ready' },
    {
      fn: 'v2-infer',
      event: apiEvent('POST', '/v2/models/{name}/infer', { name: 'churn' }, { inputs: [{ name: churn.onnx.inputs[0]!.name, shape: [1, features.length], datatype: 'FP32', data: features }] }),
      what: 'POST /v2/models/churn/infer, one row',
    },
  ];
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

async function baselineHttp(python: string, customer: string) {
  // Its own cold start (spawn to first 200) is measured on the way.
  log('local HTTP: gunicorn + Flask');
  const port = await freePort();
  const server = await startGunicorn(root, python, port, customer);
  try {
    return { coldStartMs: server.coldStartMs, ...(await loadTest(`http://127.0.0.1:${port}/predict`, { 'content-type': 'application/json' }, customer, HTTP_SECONDS)) };
  } finally {
    await stopProcessGroup(server.child);
  }
}

const coldFigure = (samples: ColdFigure[]): ColdFigure & { runs: number[] } => ({
  ...medians(samples, ['moduleLoadMs', 'sessionMs', 'firstCallMs', 'totalMs', 'spawnToAnswerMs', 'processMs', 'peakRssMb', 'goldenMs'] as const),
  compiledSchemas: Math.max(...samples.map((c) => c.compiledSchemas)),
  runs: samples.map((c) => c.totalMs),
});

/** `npm run bench -- images` or BENCH_ONLY=images: the image rows alone, the other figures of bench/results.json kept. */
const IMAGES_ONLY = process.env.BENCH_ONLY === 'images' || process.argv.slice(2).includes('images');

function requireImageBaseline(python: string): void {
  if (!imageBaselineAvailable(python)) {
    process.stderr.write(
      `bench: the image baseline (PyTorch, torchvision, PIL, FastAPI, uvicorn, scikit-image's photos on ${python}) is missing; the bench measures both stacks or neither. Install it with:\n\n    ${IMAGE_BASELINE_INSTALL}\n\n`,
    );
    process.exit(2);
  }
}

/** The image rows alone (bench/images.ts), written into the results already there. */
async function imagesOnly(): Promise<void> {
  const python = baselinePython();
  requireImageBaseline(python);
  const pinned = pinning();
  log(pinned.command ? `both stacks pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: both stacks run unpinned (results.json records it)');
  const file = path.join(root, 'bench/results.json');
  const previous = JSON.parse(readFileSync(file, 'utf8')) as AllResults;
  const write = async (our: Parameters<typeof runImages>[2]) => writeAll({ ...previous, images: await runImages(python, pinned, our) });
  // Our side needs the kind and the package; without either, the PyTorch side and the onnxruntime table are still measured, and the report says what is missing.
  if (!imageKindLanded()) return write({ missing: 'lib/kinds/image-classification was not on this branch when this was measured' });
  log('packaging the dev stage');
  let packaged: ReturnType<typeof packageArtifact>;
  try {
    packaged = packageArtifact();
  } catch (error) {
    log(`serverless package failed, so our side is not measured: ${error instanceof Error ? error.message : String(error)}`);
    return write({ missing: '`serverless package` failed on this branch (see the bench log), so there was no packaged handler to measure' });
  }
  const { artifactDir, taskRoot } = packaged;
  const xraySink = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => xraySink.bind(0, '127.0.0.1', resolve));
    await write({ taskRoot, env: { ...functionEnvironments(artifactDir).predict!, ...lambdaTracing('predict', taskRoot, xraySink.address().port, UNSAMPLED) } });
  } finally {
    xraySink.close();
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- capture`, `-- monitor` (or BENCH_ONLY=capture|monitor):
 * those rows alone, on the packaged predict handler with its deployed
 * environment (request not sampled by X-Ray), the other figures of
 * bench/results.json kept. Neither needs the Python baseline.
 */
const MONITORING_ONLY = (['capture', 'monitor'] as const).filter((s) => process.env.BENCH_ONLY === s || process.argv.slice(2).includes(s));

/**
 * For a mode that measures the packaged predict handler alone: the dev stage
 * packaged and unzipped, the function's environment as deployed with
 * Lambda's tracing environment (X-Ray on, the request not sampled) and a UDP
 * sink on loopback for the daemon; the task root is removed afterwards.
 */
async function withDeployedPredict(measure: (taskRoot: string, env: Record<string, string>) => void | Promise<void>): Promise<void> {
  log('packaging the dev stage');
  const { artifactDir, taskRoot } = packageArtifact();
  const xraySink = createSocket('udp4');
  try {
    await new Promise<void>((resolve) => xraySink.bind(0, '127.0.0.1', resolve));
    await measure(taskRoot, { ...functionEnvironments(artifactDir).predict!, ...lambdaTracing('predict', taskRoot, xraySink.address().port, UNSAMPLED) });
  } finally {
    xraySink.close();
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

async function monitoringOnly(which: readonly ('capture' | 'monitor')[]): Promise<void> {
  const pinned = pinning();
  log(pinned.command ? `pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: running unpinned (results.json records it)');
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults;
  await withDeployedPredict((taskRoot, env) => {
    const next: AllResults = { ...previous };
    if (which.includes('capture')) next.capture = runCapture(pinned, taskRoot, env);
    if (which.includes('monitor')) next.monitor = runMonitorBench(pinned, taskRoot, env);
    writeAll(next);
  });
}

/**
 * `npm run bench -- large-model` (or BENCH_ONLY=large-model): the large-model
 * rows alone (bench/large-model.ts) on the packaged predict handler with its
 * deployed environment, the other figures of bench/results.json kept. Not
 * part of the default run: it writes models of up to 500 MB.
 */
const LARGE_MODEL_ONLY = process.env.BENCH_ONLY === 'large-model' || process.argv.slice(2).includes('large-model');

async function largeModelOnly(): Promise<void> {
  const pinned = pinning();
  log(pinned.command ? `pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: running unpinned (results.json records it)');
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults;
  log('packaging the dev stage');
  const { artifactDir, taskRoot } = packageArtifact();
  try {
    const env = { ...functionEnvironments(artifactDir).predict!, POWERTOOLS_METRICS_DISABLED: 'true', CAPTURE_SAMPLE: '0' };
    writeAll({ ...previous, largeModel: await runLargeModel(pinned, taskRoot, env, [fromLocalStore]) });
  } finally {
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

type HandlerRun = { earlyMs: number[]; warmMs: number[]; batch: Results['ours']['handlerBatch']; csvBatch?: Results['ours']['handlerCsvBatch'] };

/** The packaged predict handler warm (bench/probes/handler.js): the early and warm windows, then the batches unless `single`. */
function warmHandlerRun(pinned: ReturnType<typeof pinning>, taskRoot: string, v: Variant, calls: number, single: boolean, env: Record<string, string> = {}): HandlerRun {
  return childJson<HandlerRun>(
    pinned,
    [path.join(root, 'bench/probes/handler.js'), String(calls), ...(single ? ['single'] : [])],
    { ...v.env, ...env, TASK_ROOT: taskRoot, NODE_ENV: 'production', WARMUP: String(WARMUP), ...(v.firstTraceId ? { FIRST_TRACE_ID: v.firstTraceId } : {}) },
    JSON.stringify(customers()),
  ).result;
}

/** A probe of bench/probes bundled from lib/ (library.ts, batch-stages.ts), its path. */
function bundleProbe(name: string): string {
  const bundle = path.join(root, `.esbuild/bench-${name}.js`);
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, `bench/probes/${name}.ts`), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp',
    `--outfile=${bundle}`, '--log-level=warning',
  ]);
  return bundle;
}

/** Where a 1,000-record request's time goes, stage by stage (bench/probes/batch-stages.ts), pinned. */
function measureBatchStages(pinned: ReturnType<typeof pinning>): BatchStages {
  log('a batch of 1,000, stage by stage');
  return childJson<BatchStages>(pinned, [bundleProbe('batch-stages'), '1000'], {}, JSON.stringify(customers())).result;
}

/**
 * `npm run bench -- warm` (or BENCH_ONLY=warm): the warm figures alone, both
 * sides (the packaged handler's early and warm windows and batches, the
 * stages of a batch, bench.py's Flask view and batches), written into the
 * results already there; the cold starts and everything else kept. A few
 * minutes, for measuring a change to the hot path.
 */
const WARM_ONLY = process.env.BENCH_ONLY === 'warm' || process.argv.slice(2).includes('warm');

async function warmOnly(): Promise<void> {
  const python = baselinePython();
  if (!baselineAvailable(python)) {
    process.stderr.write(`bench: the baseline's Python packages are missing on ${python}; the bench measures both stacks or neither. Install them with:\n\n    ${BASELINE_INSTALL}\n\n`);
    process.exit(2);
  }
  const pinned = pinning();
  log(pinned.command ? `both stacks pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: both stacks run unpinned (results.json records it)');
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults;
  const loadAtStart = loadavg();
  await withDeployedPredict((taskRoot, deployed) => {
    // As the main run's headline setting: tracing on, the first call sampled (the daemon's socket open).
    const env = { ...deployed, XRAY_TRACING: 'true' };
    log(`warm handler: ${WARM_CALLS} calls after ${WARMUP}, then batches`);
    const handler = warmHandlerRun(pinned, taskRoot, { name: 'as deployed', env, firstTraceId: SAMPLED }, WARM_CALLS, false);
    const batchStages = measureBatchStages(pinned);
    log('baseline: training the pickle');
    trainBaseline(root, python);
    log(`baseline: parity, then warm calls (${WARM_CALLS} after ${WARMUP}) and batches (bench.py)`);
    const baselineWarm = runBaseline(root, python, pinned, { warmup: WARMUP, iterations: WARM_CALLS });
    writeAll({
      ...previous,
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: { start: loadAtStart, end: loadavg() } },
      ours: {
        ...previous.ours,
        warmHandler: latency(handler.warmMs),
        warmHandlerEarly: latency(handler.earlyMs),
        handlerBatch: handler.batch,
        handlerCsvBatch: handler.csvBatch,
        batchStages,
      },
      baseline: { ...previous.baseline, ...baselineWarm },
    });
  });
}

/**
 * `npm run bench -- score` (records/s of `npm run score`), `-- score-memory`
 * (its peak RSS on a generated 1 GB CSV), or BENCH_ONLY=score|score-memory:
 * those rows alone (bench/score.ts), every other figure of
 * bench/results.json kept. Neither packages the stage nor needs the Python baseline.
 */
const SCORE_ONLY = (['score', 'score-memory'] as const).filter((s) => process.env.BENCH_ONLY === s || process.argv.slice(2).includes(s));

function scoreOnly(which: readonly ('score' | 'score-memory')[]): void {
  const pinned = pinning();
  log(pinned.command ? `pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: running unpinned (results.json records it)');
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults;
  const score: ScoreResults = { ...previous.score, ...scoreMachine(pinned) };
  if (which.includes('score')) score.throughput = runScoreThroughput(pinned, log);
  if (which.includes('score-memory')) score.memory = runScoreMemory(pinned, log);
  writeAll({ ...previous, score });
}

/**
 * `npm run bench -- batch-cost` (or BENCH_ONLY=batch-cost): a deployed batch
 * job's cost per million records beside the online API's (bench/batch-cost.ts),
 * from the packaged batch function's measured steps and the warm handler's
 * figures already in bench/results.json; every other figure kept.
 */
/**
 * `npm run bench -- scavenges` (or BENCH_ONLY=scavenges): the packaged predict
 * handler's scavenges over 10,000 warm calls (bench/probes/scavenges.js),
 * counted, printed, and written nowhere: the figures bench/early-window.md
 * gives for "What holds the p99.9 after the warm-up". No baseline needed.
 * BENCH_NODE_OPTIONS is added to the function's NODE_OPTIONS (e.g.
 * --max-semi-space-size=4), for comparing V8's settings.
 */
const SCAVENGES_ONLY = process.env.BENCH_ONLY === 'scavenges' || process.argv.slice(2).includes('scavenges');

interface Scavenges {
  calls: number;
  scavenges: number;
  meanScavengeMs: number;
  markCompacts: number;
  newSpaceMiB: number;
  kibPerCall: number;
}

async function scavengesOnly(): Promise<void> {
  const pinned = pinning();
  await withDeployedPredict((taskRoot, deployed) => {
    const nodeOptions = [deployed.NODE_OPTIONS, process.env.BENCH_NODE_OPTIONS].filter(Boolean).join(' ');
    const env = { ...deployed, NODE_OPTIONS: nodeOptions, XRAY_TRACING: 'true', TASK_ROOT: taskRoot, NODE_ENV: 'production', WARMUP: String(WARMUP) };
    log(`scavenges: ${WARM_CALLS} calls after ${WARMUP}, NODE_OPTIONS=${nodeOptions}`);
    const r = childJson<Scavenges>(pinned, [path.join(root, 'bench/probes/scavenges.js'), String(WARM_CALLS)], env, JSON.stringify(customers())).result;
    process.stdout.write(
      `${r.scavenges} scavenges in ${r.calls} calls (one every ${Math.round(r.calls / Math.max(1, r.scavenges))}), ${r.meanScavengeMs.toFixed(2)} ms each on average; ` +
        `${r.markCompacts} mark-compacts; new space ${r.newSpaceMiB.toFixed(1)} MiB (two semi-spaces); about ${r.kibPerCall.toFixed(1)} KiB allocated per call\n`,
    );
  });
}

const BATCH_COST_ONLY = process.env.BENCH_ONLY === 'batch-cost' || process.argv.slice(2).includes('batch-cost');

async function batchCostOnly(): Promise<void> {
  const pinned = pinning();
  log(pinned.command ? `pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: running unpinned (results.json records it)');
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults;
  writeAll({ ...previous, batchCost: await runBatchCost(pinned, log) });
}

async function main(): Promise<void> {
  if (LARGE_MODEL_ONLY) return largeModelOnly();
  if (IMAGES_ONLY) return imagesOnly();
  if (BATCH_COST_ONLY) return batchCostOnly();
  if (WARM_ONLY) return warmOnly();
  if (SCAVENGES_ONLY) return scavengesOnly();
  if (MONITORING_ONLY.length > 0) return monitoringOnly(MONITORING_ONLY);
  if (SCORE_ONLY.length > 0) return scoreOnly(SCORE_ONLY);
  const python = baselinePython();
  // Each missing baseline is named with its command, both before anything is measured.
  const tabularMissing = !baselineAvailable(python);
  if (tabularMissing) {
    process.stderr.write(
      `bench: the baseline (scikit-learn, pandas, Flask, gunicorn on ${python}) is missing; the bench measures both stacks or neither. Install it with:\n\n    ${BASELINE_INSTALL}\n\n`,
    );
  }
  requireImageBaseline(python);
  if (tabularMissing) process.exit(2);
  const pinned = pinning();
  log(pinned.command ? `both stacks pinned to CPU ${pinned.cpu} (${pinned.command})` : 'taskset is not available: both stacks run unpinned (results.json records it)');

  const records = customers();
  const customer = JSON.stringify(records[0]);
  const loadAtStart = loadavg();

  log('packaging the dev stage');
  const { zip, memoryMb, artifactDir, taskRoot } = packageArtifact();
  const scratch: string[] = [];
  try {
    const unzippedBytes = bytesIn(taskRoot);
    const modelBytes = bytesIn(path.join(taskRoot, 'models'));

    // The X-Ray daemon's stand-in: the SDK sends each sampled request's segments here.
    const xraySink = createSocket('udp4');
    await new Promise<void>((resolve) => xraySink.bind(0, '127.0.0.1', resolve));
    const xrayPort = xraySink.address().port;
    const envs = functionEnvironments(artifactDir);
    const variants = observabilityVariants(envs.predict!, taskRoot, xrayPort);
    // The headline figures: as deployed, for a request X-Ray does not sample (most are).
    const typical = variants.findIndex((v) => v.name.includes('not sampled'));
    const deployed = variants[typical]!.env;
    const deployedFor = (fn: string) => ({ ...envs[fn]!, ...lambdaTracing(fn, taskRoot, xrayPort, UNSAMPLED) });

    log('baseline: training the pickle');
    trainBaseline(root, python);
    const tensor = tensorModelsDir(taskRoot);
    scratch.push(tensor.dir);
    const events = functionEvents(taskRoot, records[0]!);

    // Every cold start in one loop, round-robin: ours as deployed, the
    // baseline's, then the other settings and functions, so that a slow
    // moment of the machine falls on all of them alike.
    const probe = path.join(root, 'bench/probes/cold.js');
    const ourCold = (handler: string, env: Record<string, string>, event: APIGatewayProxyEvent): ColdFigure => {
      const { result, processMs, spawnedNs } = childJson<OurColdSample & { answeredNs: string }>(pinned, [probe], {
        ...env,
        TASK_ROOT: taskRoot,
        HANDLER: handler,
        EVENT: JSON.stringify(event),
        NODE_ENV: 'production',
      });
      const { answeredNs, ...figures } = result;
      return { ...figures, processMs, spawnToAnswerMs: Number(BigInt(answeredNs) - spawnedNs) / 1e6 };
    };
    const predictEvent = events[0]!.event;
    const tensorEvent = apiEvent('POST', '/predict', null, tensor.body);
    const coldTasks: { key: string; run: () => void }[] = [];
    const ours: ColdFigure[] = [];
    const theirs: ReturnType<typeof pythonColdStart>[] = [];
    const byVariant = variants.map((_, i) => (i === typical ? ours : ([] as ColdFigure[])));
    const byFunction = new Map<string, ColdFigure[]>(events.slice(1).map((e) => [e.fn, []]));
    const tensorCold: ColdFigure[] = [];
    coldTasks.push({ key: 'ours', run: () => ours.push(ourCold('predict', deployed, predictEvent)) });
    coldTasks.push({ key: 'baseline', run: () => theirs.push(pythonColdStart(root, python, customer, pinned)) });
    variants.forEach((v, i) => {
      if (i !== typical) coldTasks.push({ key: v.name, run: () => byVariant[i]!.push(ourCold('predict', v.env, predictEvent)) });
    });
    for (const { fn, event } of events.slice(1)) coldTasks.push({ key: fn, run: () => byFunction.get(fn)!.push(ourCold(fn, deployedFor(fn), event)) });
    coldTasks.push({
      key: 'tensor',
      run: () => tensorCold.push(ourCold('predict', { ...deployed, MODELS_DIR: tensor.dir, DEFAULT_MODEL: tensor.name }, tensorEvent)),
    });
    log(`cold starts: ${COLD_RUNS} rounds of ${coldTasks.length} fresh processes (ours, the baseline's, ${variants.length - 1} other settings, ${byFunction.size} other functions, a tensor model)`);
    for (let round = 0; round < COLD_RUNS; round++) for (const task of coldTasks) task.run();

    const warmHandler = (v: Variant, calls: number, single: boolean, env: Record<string, string> = {}) => warmHandlerRun(pinned, taskRoot, v, calls, single, env);
    log(`warm handler: ${WARM_CALLS} calls after ${WARMUP}, then batches`);
    const handler = warmHandler(variants[typical]!, WARM_CALLS, false);
    log(`warm handler per observability setting: ${WARM_CALLS} calls each after ${WARMUP}, in two alternating rounds`);
    const warmByVariant = variants.map(() => [] as number[]);
    for (let round = 0; round < 2; round++) {
      variants.forEach((v, i) => warmByVariant[i]!.push(...warmHandler(v, WARM_CALLS / 2, true).warmMs));
    }
    log(`warm handler with a shadow version: ${WARM_CALLS} calls each, with and without, in two alternating rounds`);
    const shadowDir = shadowedModelsDir(taskRoot);
    scratch.push(shadowDir);
    const withShadow: number[] = [];
    const withoutShadow: number[] = [];
    for (let round = 0; round < 2; round++) {
      withoutShadow.push(...warmHandler(variants[typical]!, WARM_CALLS / 2, true).warmMs);
      withShadow.push(...warmHandler(variants[typical]!, WARM_CALLS / 2, true, { MODELS_DIR: shadowDir }).warmMs);
    }
    xraySink.close();

    log('library call on parsed records');
    const library = childJson<{ singleMs: number[]; batch: Results['ours']['libraryBatch'] }>(pinned, [bundleProbe('library'), String(WARM_CALLS)], {}, JSON.stringify(records)).result;
    const batchStages = measureBatchStages(pinned);

    log(`baseline: parity, then warm calls (${WARM_CALLS} after ${WARMUP}) and batches (bench.py)`);
    const baselineWarm = runBaseline(root, python, pinned, { warmup: WARMUP, iterations: WARM_CALLS });
    const baseline: Baseline = {
      ...baselineWarm,
      cold: {
        importMs: median(theirs.map((c) => c.child.import_ms)),
        unpickleMs: median(theirs.map((c) => c.child.unpickle_ms)),
        firstPredictionMs: median(theirs.map((c) => c.child.first_prediction_ms)),
        totalMs: median(theirs.map((c) => c.child.total_ms)),
        spawnToAnswerMs: median(theirs.map((c) => c.spawnToAnswerMs)),
        processMs: median(theirs.map((c) => c.processMs)),
        peakRssMb: median(theirs.map((c) => c.child.peak_rss_mb)),
        runs: theirs.map((c) => c.child.total_ms),
      },
    };
    const ourLocalHttp = await ourHttp(customer);
    const baselineLocalHttp = await baselineHttp(python, customer);
    log('images: a ResNet-18 classifier against PyTorch + FastAPI (bench/images.ts)');
    const images = await runImages(python, pinned, { taskRoot, env: deployed });
    const capture = runCapture(pinned, taskRoot, deployed);
    const monitor = runMonitorBench(pinned, taskRoot, deployed);
    // The 1 GB memory run is its own mode (minutes): its last figures are kept.
    const previousScore = (JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults).score;
    const score: ScoreResults = { ...scoreMachine(pinned), throughput: runScoreThroughput(pinned, log), ...(previousScore?.memory ? { memory: previousScore.memory } : {}) };
    // Its own mode too (it packages and runs the batch steps): its last figures are kept.
    const previousBatchCost = (JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults).batchCost;

    const warm = latency(handler.warmMs);
    const results: AllResults = {
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: { start: loadAtStart, end: loadavg() } },
      settings: { coldRuns: COLD_RUNS, warmCalls: WARM_CALLS, warmup: WARMUP, httpSeconds: HTTP_SECONDS, httpConnections: HTTP_CONNECTIONS },
      pinned: { cpu: pinned.cpu, command: pinned.command, cold: pinned.cpu !== null, warm: pinned.cpu !== null, http: false },
      ours: {
        artifact: {
          zippedMb: statSync(zip).size / 1e6,
          unzippedMb: unzippedBytes / 1e6,
          unzippedMiB: unzippedBytes / MiB,
          withoutModelsMiB: (unzippedBytes - modelBytes) / MiB,
          lambdaLimitMb: 250,
        },
        cold: coldFigure(ours),
        functions: [
          { function: 'predict', what: events[0]!.what, ...coldFigure(ours) },
          ...events.slice(1).map((e) => ({ function: e.fn, what: e.what, ...coldFigure(byFunction.get(e.fn)!) })),
          { function: 'predict', what: `POST /predict, a tensor model added with model:add (${TENSOR_FIXTURE}) as the default model`, ...coldFigure(tensorCold) },
        ],
        warmHandler: warm,
        warmHandlerEarly: latency(handler.earlyMs),
        observability: variants.map((v, i) => ({
          setting: v.name,
          warmP50Ms: latency(warmByVariant[i]!).p50,
          warmP99Ms: latency(warmByVariant[i]!).p99,
          warmP999Ms: latency(warmByVariant[i]!).p99_9,
          coldTotalMs: median(byVariant[i]!.map((c) => c.totalMs)),
          coldProcessMs: median(byVariant[i]!.map((c) => c.processMs)),
          coldPeakRssMb: median(byVariant[i]!.map((c) => c.peakRssMb)),
        })),
        shadow: { withoutP50Ms: latency(withoutShadow).p50, withP50Ms: latency(withShadow).p50, withoutP99Ms: latency(withoutShadow).p99, withP99Ms: latency(withShadow).p99 },
        librarySingle: latency(library.singleMs),
        handlerBatch: handler.batch,
        handlerCsvBatch: handler.csvBatch,
        batchStages,
        libraryBatch: library.batch,
        cost: costPerMillion(JSON.parse(readFileSync(path.join(root, 'bench/pricing.json'), 'utf8')), memoryMb, warm.p50),
        localHttp: ourLocalHttp,
      },
      baseline: { ...baseline, localHttp: baselineLocalHttp },
      images,
      capture,
      monitor,
      // Measured by its own mode only (npm run bench -- large-model): kept as last measured.
      largeModel: (JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults).largeModel,
      score,
      ...(previousBatchCost ? { batchCost: previousBatchCost } : {}),
    };
    writeAll(results);
  } finally {
    for (const dir of [taskRoot, ...scratch]) rmSync(dir, { recursive: true, force: true });
  }
}

// --report rewrites BENCHMARKS.md from the figures already in bench/results.json.
const run = process.argv.includes('--report')
  ? async () => writeAll(JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as AllResults)
  : main;

run().catch((error: unknown) => {
  console.error(`bench: a figure could not be measured: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
