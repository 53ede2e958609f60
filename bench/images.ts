// The image rows of npm run bench (issue 22 item 7): a ResNet-18 classifier
// served by us (the image-classification kind, a raw JPEG body to
// POST /models/{name}/predict through the packaged predict handler) against
// the stack a user would pick instead (PyTorch eager behind FastAPI and
// uvicorn, bench/baseline/image_server.py), same weights and same JPEGs,
// both pinned to one CPU; and where onnxruntime's graph optimisation should
// happen for such a model. `npm run bench -- images` (or BENCH_ONLY=images)
// runs this part alone and keeps the other figures of bench/results.json.
import type { ColdFigure } from './cold-figure';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stopProcessGroup } from '../scripts/local-api';
import { childJson, root } from './artifact';
import type { Pinned } from './pin';
import { latency, median, type Latency } from './stats';

const COLD_RUNS = Number(process.env.BENCH_IMAGE_COLD_RUNS ?? 5);
const WARMUP = Number(process.env.BENCH_IMAGE_WARMUP ?? 20);
const CALLS = Number(process.env.BENCH_IMAGE_CALLS ?? 200);
const BATCH = 8;
const BATCH_WARMUP = 3;
const BATCHES = Number(process.env.BENCH_IMAGE_BATCHES ?? 20);
const ORT_RUNS = Number(process.env.BENCH_IMAGE_ORT_RUNS ?? 5);
/** No loop of this part runs longer than this, whatever the counts say. */
const LOOP_SECONDS = Number(process.env.BENCH_IMAGE_LOOP_SECONDS ?? 120);
const MODEL_NAME = 'resnet';
const KIND_DIR = path.join(root, 'lib/kinds/image-classification');

/** Whether the image-classification kind is on this branch: our side needs it. */
export const imageKindLanded = (): boolean => existsSync(KIND_DIR);

const log = (message: string) => process.stderr.write(`bench images: ${message}\n`);

/** Debian's packages the PyTorch side and the fixtures need (bench/baseline/README.md, "Images"). */
export const IMAGE_BASELINE_INSTALL = 'apt-get install -y python3-torch python3-torchvision python3-pil python3-fastapi python3-uvicorn python3-skimage';

export function imageBaselineAvailable(python: string): boolean {
  return spawnSync(python, ['-c', 'import torch, torchvision, PIL, fastapi, uvicorn, skimage'], { stdio: 'ignore', timeout: 120_000 }).status === 0;
}

export interface Photo {
  file: string;
  from: string;
  width: number;
  height: number;
  bytes: number;
}

interface Fixtures {
  dir: string;
  onnx: string;
  weights: string;
  labels: string;
  photos: (Photo & { data: Buffer })[];
  info: { torch: string; torchvision: string; opset: number; onnx: { bytes: number }; photos: Photo[] };
}

/**
 * The fixtures (bench/baseline/build_image_fixtures.py), built once into
 * .bench-cache/images/<hash of the script> (git-ignored) and reused while the
 * script is unchanged.
 */
export function imageFixtures(python: string): Fixtures {
  const script = path.join(root, 'bench/baseline/build_image_fixtures.py');
  const key = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = path.join(root, '.bench-cache/images', key);
  if (!existsSync(path.join(dir, 'fixtures.json'))) {
    log(`building the fixtures into ${path.relative(root, dir)} (ResNet-18 state dict and ONNX export, JPEGs)`);
    const building = `${dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('timeout', ['600', python, script, building], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    renameSync(building, dir);
  }
  const info = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as Fixtures['info'];
  return {
    dir,
    onnx: path.join(dir, 'resnet18.onnx'),
    weights: path.join(dir, 'resnet18.pt'),
    labels: path.join(dir, 'labels.txt'),
    photos: info.photos.map((p) => ({ ...p, data: readFileSync(path.join(dir, 'jpegs', p.file)) })),
    info,
  };
}

/** VmHWM of a running process, in MB (2^20 bytes, as the other rows). */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1]) / 1024;
}

const batchBody = (photos: Fixtures['photos']) => JSON.stringify({ instances: photos.slice(0, BATCH).map((p) => ({ b64: p.data.toString('base64') })) });

// ---------------------------------------------------------------- PyTorch

interface ImageServer {
  child: ChildProcess;
  pid: number;
  base: string;
  spawnToAnswerMs: number;
  /** Spawn to the module's first statement: the interpreter's own start. */
  interpreterMs: number;
  importMs: number;
  loadMs: number;
  /** Last statement of the module to the first answer: uvicorn's start and the first request. */
  firstRequestMs: number;
  peakRssAtFirstAnswerMb: number;
  versions: Record<string, string>;
}

interface ServerStats {
  started_monotonic_s: number;
  import_ms: number;
  load_ms: number;
  versions: Record<string, string>;
}

/** uvicorn with image_server.py on 127.0.0.1, pinned, in its own process group; ready is the first 200 on POST /predict. */
async function startImageServer(python: string, pinned: Pinned, fx: Fixtures): Promise<ImageServer> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const uvicorn = [python, '-m', 'uvicorn', 'image_server:app', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--no-access-log', '--log-level', 'warning'];
  const command = [...(pinned.command ? pinned.command.split(' ') : []), ...uvicorn];
  const spawnedNs = process.hrtime.bigint();
  // taskset execs the interpreter: the child's pid is the server's.
  const child = spawn(command[0]!, command.slice(1), {
    cwd: path.join(root, 'bench/baseline'),
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH ?? '', IMAGE_WEIGHTS: fx.weights, IMAGE_LABELS: fx.labels, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`image_server.py exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: fx.photos[0]!.data });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`image_server.py answered ${res.status}`);
      const answeredNs = process.hrtime.bigint();
      const peak = peakRssMb(child.pid!);
      const stats = (await (await fetch(`${base}/stats`)).json()) as ServerStats;
      const startedMs = stats.started_monotonic_s * 1e3 - Number(spawnedNs) / 1e6;
      return {
        child,
        pid: child.pid!,
        base,
        spawnToAnswerMs: Number(answeredNs - spawnedNs) / 1e6,
        interpreterMs: startedMs,
        importMs: stats.import_ms,
        loadMs: stats.load_ms,
        firstRequestMs: Number(answeredNs - spawnedNs) / 1e6 - startedMs - stats.import_ms - stats.load_ms,
        peakRssAtFirstAnswerMb: peak,
        versions: stats.versions,
      };
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('image_server.py')) throw error;
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await stopProcessGroup(child);
  throw new Error('image_server.py did not answer within 60 s');
}

interface Timed {
  clientMs: number;
  serverMs: number;
  decodeMs: number;
  preprocessMs: number;
  inferenceMs: number;
}

async function timedPost(url: string, contentType: string, body: Buffer | string): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  await res.arrayBuffer();
  const clientMs = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const h = (name: string) => Number(res.headers.get(name));
  return { clientMs, serverMs: h('x-server-ms'), decodeMs: h('x-decode-ms'), preprocessMs: h('x-preprocess-ms'), inferenceMs: h('x-inference-ms') };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => sum(xs) / xs.length;

/** Calls `once` `warmup` times, then up to `count` timed ones, stopping at LOOP_SECONDS. */
async function bounded<T>(warmup: number, count: number, once: (i: number) => Promise<T>): Promise<T[]> {
  const until = performance.now() + LOOP_SECONDS * 1000;
  const out: T[] = [];
  for (let i = 0; i < warmup + count && performance.now() < until; i++) {
    const r = await once(i);
    if (i >= warmup) out.push(r);
  }
  if (out.length === 0) throw new Error('no timed call within the time bound');
  return out;
}

export interface SideWarm {
  /** One JPEG a call, cycling through the photos. */
  single: Latency;
  /** Their mean (the photos differ in size, so parts are compared by means). */
  singleMeanMs: number;
  /** A batch of BATCH JPEGs a call: the median batch and images/s. */
  batch: { msPerBatch: number; imagesPerSecond: number; batches: number };
  /** VmHWM of the serving process after every warm call. */
  peakRssMb: number;
  /** The decode + preprocess share of a single call's time (mean over the timed calls), and how it was measured. */
  decodePreprocess: { ms: number; inferenceMs: number; share: number; batchShare: number; how: string };
}

async function pytorchWarm(server: ImageServer, fx: Fixtures): Promise<SideWarm & { httpSingle: Latency }> {
  const single = await bounded(WARMUP, CALLS, (i) => timedPost(`${server.base}/predict`, 'image/jpeg', fx.photos[i % fx.photos.length]!.data));
  const body = batchBody(fx.photos);
  const batches = await bounded(BATCH_WARMUP, BATCHES, () => timedPost(`${server.base}/predict/batch`, 'application/json', body));
  const ms = median(batches.map((b) => b.serverMs));
  const prep = (t: Timed) => t.decodeMs + t.preprocessMs;
  return {
    single: latency(single.map((t) => t.serverMs)),
    singleMeanMs: mean(single.map((t) => t.serverMs)),
    httpSingle: latency(single.map((t) => t.clientMs)),
    batch: { msPerBatch: ms, imagesPerSecond: (BATCH / ms) * 1000, batches: batches.length },
    peakRssMb: peakRssMb(server.pid),
    decodePreprocess: {
      ms: mean(single.map(prep)),
      inferenceMs: mean(single.map((t) => t.inferenceMs)),
      share: sum(single.map(prep)) / sum(single.map((t) => t.serverMs)),
      batchShare: sum(batches.map(prep)) / sum(batches.map((t) => t.serverMs)),
      how: 'timed in the app around each step (x-decode-ms + x-preprocess-ms over x-server-ms)',
    },
  };
}

// ---------------------------------------------------------------- ours

/** Our cold start, as the tabular rows measure theirs (bench/report.ts), without the schema count. */
type OurCold = Omit<ColdFigure, 'compiledSchemas'>;

/** `npm run model:add -- resnet18.onnx --name resnet --labels labels.txt` into a scratch MODELS_DIR holding only it. */
function addOurModel(fx: Fixtures): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-images-'));
  const bundle = path.join(root, '.esbuild/model-add.js');
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'scripts/model-add/main.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp', `--outfile=${bundle}`, '--log-level=warning',
  ]);
  execFileSync('timeout', ['600', process.execPath, bundle, fx.onnx, '--name', MODEL_NAME, '--labels', fx.labels], {
    cwd: root,
    env: { ...process.env, MODELS_DIR: dir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const versions = readdirSync(path.join(dir, MODEL_NAME), { withFileTypes: true }).filter((e) => e.isDirectory());
  const manifest = JSON.parse(readFileSync(path.join(dir, MODEL_NAME, versions[0]!.name, 'model.json'), 'utf8')) as { kind: string };
  if (manifest.kind !== 'image-classification') throw new Error(`model:add made resnet18.onnx a ${manifest.kind} model, not an image-classification one`);
  return dir;
}

const imageEvent = (jpeg: Buffer) => ({
  httpMethod: 'POST',
  path: `/models/${MODEL_NAME}/predict`,
  resource: '/models/{name}/predict',
  pathParameters: { name: MODEL_NAME },
  headers: { 'content-type': 'image/jpeg' },
  body: jpeg.toString('base64'),
  isBase64Encoded: true,
  requestContext: {},
});

function ourCold(pinned: Pinned, taskRoot: string, env: Record<string, string>, fx: Fixtures): OurCold {
  const { result, processMs, spawnedNs } = childJson<Omit<OurCold, 'processMs' | 'spawnToAnswerMs'> & { answeredNs: string }>(pinned, [path.join(root, 'bench/probes/cold.js')], {
    ...env,
    TASK_ROOT: taskRoot,
    HANDLER: 'predict',
    EVENT: JSON.stringify(imageEvent(fx.photos[0]!.data)),
    NODE_ENV: 'production',
  });
  const { answeredNs, ...figures } = result;
  return { ...figures, processMs, spawnToAnswerMs: Number(BigInt(answeredNs) - spawnedNs) / 1e6 };
}

interface OurWarmProbe {
  singleMs: number[];
  batchMs: number[];
  peakRssMb: number;
}

interface ComponentsProbe {
  /** The kind's decode + preprocess of each timed picture (decodeImage), in-process. */
  decodeMs: number[];
  /** onnxruntime alone on each of those tensors, [1, 3, 224, 224]. */
  ortMs: number[];
  /** decode + preprocess of a batch of BATCH, and onnxruntime alone on the stacked [BATCH, 3, 224, 224]. */
  batchDecodeMs: number[];
  batchOrtMs: number[];
}

async function ourWarm(pinned: Pinned, taskRoot: string, env: Record<string, string>, modelsDir: string, fx: Fixtures): Promise<SideWarm & { components: ComponentsProbe }> {
  const jpegs = JSON.stringify(fx.photos.map((p) => path.join(fx.dir, 'jpegs', p.file)));
  const probe = childJson<OurWarmProbe>(pinned, [path.join(root, 'bench/probes/image-handler.js')], {
    ...env,
    TASK_ROOT: taskRoot,
    NODE_ENV: 'production',
    MODEL_NAME,
    JPEGS: jpegs,
    WARMUP: String(WARMUP),
    CALLS: String(CALLS),
    BATCH: String(BATCH),
    BATCH_WARMUP: String(BATCH_WARMUP),
    BATCHES: String(BATCHES),
    LOOP_SECONDS: String(LOOP_SECONDS),
  }).result;
  // The kind's preprocessing and onnxruntime alone, timed in a process of their own (bench/probes/image-components.ts).
  const bundle = path.join(root, '.esbuild/bench-image-components.js');
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'bench/probes/image-components.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp',
    `--outfile=${bundle}`, '--log-level=warning',
  ]);
  const components = childJson<ComponentsProbe>(pinned, [bundle], {
    MODELS_DIR: modelsDir, MODEL_NAME, JPEGS: jpegs, WARMUP: String(WARMUP), CALLS: String(CALLS), BATCH: String(BATCH), BATCH_WARMUP: String(BATCH_WARMUP), BATCHES: String(BATCHES), LOOP_SECONDS: String(LOOP_SECONDS),
  }).result;
  const ms = median(probe.batchMs);
  const decode = mean(components.decodeMs);
  const whole = mean(probe.singleMs);
  return {
    single: latency(probe.singleMs),
    singleMeanMs: whole,
    batch: { msPerBatch: ms, imagesPerSecond: (BATCH / ms) * 1000, batches: probe.batchMs.length },
    peakRssMb: probe.peakRssMb,
    decodePreprocess: {
      ms: decode,
      inferenceMs: mean(components.ortMs),
      share: decode / whole,
      batchShare: mean(components.batchDecodeMs) / mean(probe.batchMs),
      how: "the kind's decodeImage (sharp) timed in-process on the same JPEGs, over the full handler call's mean (bench/probes/image-components.ts); onnxruntime alone on the same tensors beside it",
    },
    components,
  };
}

// ---------------------------------------------------------------- onnxruntime's graph optimisation

export interface OrtRow {
  name: string;
  file: 'original' | 'saved at extended';
  level: string;
  createMs: number;
  firstRunMs: number;
  runMs: number;
  peakRssMb: number;
  requireMs: number;
  maxAbsDiff: number | null;
}

type OrtProbe = Omit<OrtRow, 'name' | 'file' | 'level'> & { rssAfterCreateMb: number; runs: number };

/**
 * The trade-off of issue 22: optimise at every load ('all', as lib/model's
 * SESSION_OPTIONS), or once, saved at 'extended' (optimizedModelFilePath;
 * 'all' would save layouts specific to this CPU), then loaded at 'extended'
 * or 'all' (and 'disabled', nothing left to do at load). Fresh processes,
 * pinned, rows alternating; medians over ORT_RUNS.
 */
function ortOptimisation(pinned: Pinned, fx: Fixtures): { rows: OrtRow[]; save: OrtProbe; savedMiB: number; runs: number } {
  const probe = path.join(root, 'bench/probes/ort-opt.js');
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-ort-opt-'));
  try {
    const saved = path.join(scratch, 'resnet18.extended.onnx');
    const check = { INPUT: path.join(fx.dir, 'example_input.f32'), EXPECTED: path.join(fx.dir, 'example_logits.f32') };
    const save = childJson<OrtProbe>(pinned, [probe], { MODEL: fx.onnx, LEVEL: 'extended', SAVE_TO: saved, RUNS: '5' }).result;
    const configs: { name: string; file: OrtRow['file']; level: string }[] = [
      { name: "optimised at load, 'all' (as shipped)", file: 'original', level: 'all' },
      { name: "saved once at 'extended', loaded at 'extended'", file: 'saved at extended', level: 'extended' },
      { name: "saved once at 'extended', loaded at 'all'", file: 'saved at extended', level: 'all' },
      { name: "saved once at 'extended', loaded at 'disabled'", file: 'saved at extended', level: 'disabled' },
    ];
    const samples = configs.map(() => [] as OrtProbe[]);
    for (let round = 0; round < ORT_RUNS; round++) {
      configs.forEach((c, i) => samples[i]!.push(childJson<OrtProbe>(pinned, [probe], { MODEL: c.file === 'original' ? fx.onnx : saved, LEVEL: c.level, RUNS: '20', ...check }).result));
    }
    const med = (xs: OrtProbe[], k: keyof OrtProbe) => median(xs.map((x) => x[k] as number));
    const rows = configs.map((c, i) => ({
      ...c,
      createMs: med(samples[i]!, 'createMs'),
      firstRunMs: med(samples[i]!, 'firstRunMs'),
      runMs: med(samples[i]!, 'runMs'),
      peakRssMb: med(samples[i]!, 'peakRssMb'),
      requireMs: med(samples[i]!, 'requireMs'),
      maxAbsDiff: Math.max(...samples[i]!.map((x) => x.maxAbsDiff ?? NaN)),
    }));
    return { rows, save, savedMiB: statSync(saved).size / 2 ** 20, runs: ORT_RUNS };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the section

/**
 * Moves this process (the HTTP client of the PyTorch side, the orchestrator
 * of ours) off the measured CPU for the duration, so that its polling and
 * requests do not take turns with the server they time; returns the undo.
 * A no-op when nothing is pinned or there is no other CPU.
 */
function clientElsewhere(pinned: Pinned): () => void {
  if (pinned.cpu === null || cpus().length < 2) return () => undefined;
  const pid = String(process.pid);
  const mask = /mask: ([0-9a-f]+)/.exec(execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }))?.[1];
  const other = cpus().findIndex((_, i) => i !== pinned.cpu);
  if (!mask) return () => undefined;
  execFileSync('taskset', ['-a', '-p', '-c', String(other), pid], { stdio: 'ignore' });
  return () => execFileSync('taskset', ['-a', '-p', mask, pid], { stdio: 'ignore' });
}

export interface ImagesResults {
  measured: string;
  settings: { coldRuns: number; warmup: number; calls: number; batch: number; batchWarmup: number; batches: number; loopSeconds: number };
  /** The measured processes' CPU; the bench's own process (the PyTorch side's HTTP client) was moved to another while this ran. */
  pinned: { cpu: number | null; command: string | null };
  fixtures: { model: string; opset: number; onnxMiB: number; labels: number; photos: Photo[]; torch: string; torchvision: string };
  pytorch: {
    versions: Record<string, string>;
    cold: { spawnToAnswerMs: number; interpreterMs: number; importMs: number; loadMs: number; firstRequestMs: number; peakRssMb: number; runs: number[] };
    warm: SideWarm & { httpSingle: Latency };
  };
  /** null when our side could not be measured (why: `oursMissing`): the kind not on the branch, or the package not built. */
  ours: null | {
    cold: OurCold & { runs: number[] };
    warm: SideWarm;
    components: { decodeP50Ms: number; ortP50Ms: number; batchDecodeP50Ms: number; batchOrtP50Ms: number };
  };
  oursMissing?: string;
  ortOptimisation: ReturnType<typeof ortOptimisation>;
}

/**
 * Every image figure, in one run: fixtures, then cold starts of both sides
 * alternating, then each side's warm server, then the onnxruntime table.
 * `taskRoot` and `env` are the packaged artifact's and the predict
 * function's environment as deployed (bench/run.ts).
 */
export async function runImages(
  python: string,
  pinned: Pinned,
  our: { taskRoot: string; env: Record<string, string> } | { missing: string },
): Promise<ImagesResults> {
  const fx = imageFixtures(python);
  const missing = 'missing' in our ? our.missing : imageKindLanded() ? null : 'lib/kinds/image-classification was not on this branch when this was measured';
  const { taskRoot, env } = 'missing' in our ? { taskRoot: '', env: {} } : our;
  let modelsDir: string | null = null;
  const restore = clientElsewhere(pinned);
  try {
    if (missing === null) {
      log('ours: npm run model:add -- resnet18.onnx --name resnet --labels labels.txt (a scratch MODELS_DIR)');
      modelsDir = addOurModel(fx);
    } else {
      log(`ours: not measured (${missing}): only the PyTorch side and the onnxruntime table are`);
    }
    const ourEnv = modelsDir ? { ...env, MODELS_DIR: modelsDir, DEFAULT_MODEL: MODEL_NAME } : null;

    log(`cold starts: ${COLD_RUNS} rounds (${ourEnv ? 'ours, then ' : ''}PyTorch + uvicorn), spawn to first answer`);
    const theirCold: Omit<ImageServer, 'child' | 'pid' | 'base'>[] = [];
    const ourColds: OurCold[] = [];
    for (let round = 0; round < COLD_RUNS; round++) {
      if (ourEnv) ourColds.push(ourCold(pinned, taskRoot, ourEnv, fx));
      const server = await startImageServer(python, pinned, fx);
      await stopProcessGroup(server.child);
      const { child: _c, pid: _p, base: _b, ...figures } = server;
      theirCold.push(figures);
    }

    log(`PyTorch warm: ${CALLS} single JPEGs after ${WARMUP}, then ${BATCHES} batches of ${BATCH} after ${BATCH_WARMUP}`);
    const server = await startImageServer(python, pinned, fx);
    let theirWarm: Awaited<ReturnType<typeof pytorchWarm>>;
    try {
      theirWarm = await pytorchWarm(server, fx);
    } finally {
      await stopProcessGroup(server.child);
    }

    let ours: ImagesResults['ours'] = null;
    if (ourEnv && modelsDir) {
      log(`ours warm: the same through the packaged predict handler, then the kind's preprocessing and onnxruntime alone`);
      const warm = await ourWarm(pinned, taskRoot, ourEnv, modelsDir, fx);
      const { components, ...side } = warm;
      const m = (k: keyof OurCold) => median(ourColds.map((c) => c[k]));
      ours = {
        cold: {
          moduleLoadMs: m('moduleLoadMs'), sessionMs: m('sessionMs'), firstCallMs: m('firstCallMs'), totalMs: m('totalMs'),
          spawnToAnswerMs: m('spawnToAnswerMs'), processMs: m('processMs'), peakRssMb: m('peakRssMb'), goldenMs: m('goldenMs'),
          runs: ourColds.map((c) => c.spawnToAnswerMs),
        },
        warm: side,
        components: {
          decodeP50Ms: median(components.decodeMs), ortP50Ms: median(components.ortMs),
          batchDecodeP50Ms: median(components.batchDecodeMs), batchOrtP50Ms: median(components.batchOrtMs),
        },
      };
    }

    log(`onnxruntime graph optimisation: ${ORT_RUNS} fresh processes per setting`);
    const ort = ortOptimisation(pinned, fx);
    const t = (k: keyof (typeof theirCold)[number]) => median(theirCold.map((c) => c[k] as number));
    return {
      measured: new Date().toISOString(),
      settings: { coldRuns: COLD_RUNS, warmup: WARMUP, calls: CALLS, batch: BATCH, batchWarmup: BATCH_WARMUP, batches: BATCHES, loopSeconds: LOOP_SECONDS },
      pinned: { cpu: pinned.cpu, command: pinned.command },
      fixtures: {
        model: 'torchvision resnet18(weights=None), torch.manual_seed(0), eval',
        opset: fx.info.opset,
        onnxMiB: fx.info.onnx.bytes / 2 ** 20,
        labels: 1000,
        photos: fx.info.photos,
        torch: fx.info.torch,
        torchvision: fx.info.torchvision,
      },
      pytorch: {
        versions: theirCold[0]?.versions ?? server.versions,
        cold: {
          spawnToAnswerMs: t('spawnToAnswerMs'), interpreterMs: t('interpreterMs'), importMs: t('importMs'), loadMs: t('loadMs'),
          firstRequestMs: t('firstRequestMs'), peakRssMb: t('peakRssAtFirstAnswerMb'), runs: theirCold.map((c) => c.spawnToAnswerMs),
        },
        warm: theirWarm,
      },
      ours,
      ...(ours ? {} : { oursMissing: missing ?? 'not measured' }),
      ortOptimisation: ort,
    };
  } finally {
    restore();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  }
}
