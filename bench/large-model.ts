// npm run bench -- large-model: the cold start of a model of 100 MB and more
// (README, "Large models"; issue 24, item 5), on this machine, pinned to one
// CPU (bench/pin.ts): generated wide MLPs (scripts/wide-mlp.ts, cached in
// .bench-cache/large-models/, gitignored) added with model:add, loaded by
// the packaged predict handler in a fresh process per run (bench/probes/cold.js);
// onnxruntime's session options at that size (bench/probes/large-session.js);
// and the size up to which a model loads within Lambda's 10 s init.
//
// Where a model comes from is a source: measureLoad(label, prepare) times
// the same cold start for whatever environment `prepare` sets up (MODELS_DIR
// for the packaged folder; the model store's MODEL_STORE and endpoint for a
// store), so another source is one more call (runLargeModel's `sources`).
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { kindOf, type Manifest } from '../lib/kinds';
import { CODE_BUDGET, LAMBDA, MB, MEMORY_RULE, needsFor } from '../scripts/model-sizing';
import { writeWideMlp } from '../scripts/wide-mlp';
import { childJson, modelAdd, root } from './artifact';
import type { Pinned } from './pin';
import { median, medians } from './stats';

/** The model every row but the sweep measures: at least 100 MB (issue 24). */
const MAIN_MB = Number(process.env.BENCH_LARGE_MB ?? 150);
/** The sweep's sizes, for the size that loads within 10 s. */
const SWEEP_MB = (process.env.BENCH_LARGE_SWEEP ?? '100,250,500').split(',').map(Number);
const RUNS = Number(process.env.BENCH_LARGE_RUNS ?? 3);
const CACHE = path.join(root, '.bench-cache', 'large-models');
const NAME = 'large-mlp';

/** What `prepare` hands measureLoad: the environment the function starts with, and what to undo afterwards. */
export interface LoadSource {
  env: Record<string, string>;
  cleanup?: () => Promise<void> | void;
}

/** One source's cold start, medians of `runs` fresh processes. */
export interface LoadFigure {
  label: string;
  modelMb: number;
  runs: number;
  /** prepare's own time (a download before the function starts, if the source has one); 0 for a folder already there. */
  prepareMs: number;
  moduleLoadMs: number;
  /** The default model's load during init: read, sha256, session, golden self-test (lib/model); from a store, its listing and download too. */
  sessionMs: number;
  /** Of sessionMs, a model store's download into /tmp (checked as it arrives); 0 from a folder. Absent in figures measured before the store. */
  fetchMs?: number;
  firstCallMs: number;
  /** require to the first answer: what a cold request waits for, init included. */
  totalMs: number;
  /** The fastest and slowest run's totalMs (the machine is shared: the spread is its noise). */
  totalRangeMs: [number, number];
  peakRssMb: number;
}

export interface OptionRow {
  option: string;
  createMs: number;
  /** The fastest and slowest run's create: differences inside this spread are the machine's, not the option's. */
  createRangeMs: [number, number];
  readMs: number;
  firstRunMs: number;
  peakRssMb: number;
  rssAfterMb: number;
}

export interface LargeModelResults {
  measured: string;
  machine: { cpu: string; cores: number; node: string };
  pinned: { cpu: number | null; command: string | null };
  model: { mb: number; bytes: number; hidden: number; needs: ReturnType<typeof needsFor> };
  loads: LoadFigure[];
  options: OptionRow[];
  sweep: { mb: number; totalMs: number; totalRangeMs: [number, number]; sessionMs: number; peakRssMb: number }[];
  /** totalMs ≈ fixedMs + msPerMb × MB over the sweep's medians, and the MB that takes 10 s at that rate; `slowest` the same through each size's slowest run. */
  fit: { fixedMs: number; msPerMb: number; mbIn10s: number; slowest: { fixedMs: number; msPerMb: number; mbIn10s: number } };
}

/** A predict event for the model's first golden case, as API Gateway would send it. */
function predictEvent(manifest: Manifest): APIGatewayProxyEvent {
  const body = kindOf(manifest).goldenRequest(manifest, manifest.golden.cases[0]!);
  return {
    httpMethod: 'POST',
    path: '/predict',
    resource: '/predict',
    pathParameters: null,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {},
  } as unknown as APIGatewayProxyEvent;
}

/** A models folder holding one generated model of `mb` MB, added with model:add, as the default model. */
function largeModelsDir(mb: number): { dir: string; manifest: Manifest; bytes: number; hidden: number } {
  const { file, bytes, hidden } = writeWideMlp(path.join(CACHE, `mlp-${mb}mb.onnx`), mb * 1e6);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-large-'));
  return { dir, manifest: modelAdd(file, NAME, dir), bytes, hidden };
}

export interface LargeModelBench {
  /** The folder model:add wrote the main model into (push it, copy it, serve it), its manifest and size. */
  modelsDir: string;
  manifest: Manifest;
  /** The packaged predict handler's cold start for the environment `prepare` returns. */
  measureLoad(label: string, prepare: () => Promise<LoadSource>): Promise<LoadFigure>;
}

const range = (values: readonly number[]): [number, number] => [Math.min(...values), Math.max(...values)];

type ColdSample = { moduleLoadMs: number; sessionMs: number; fetchMs: number; firstCallMs: number; totalMs: number; peakRssMb: number };

function coldStart(pinned: Pinned, taskRoot: string, env: Record<string, string>, event: APIGatewayProxyEvent): ColdSample {
  return childJson<ColdSample>(pinned, [path.join(root, 'bench/probes/cold.js')], {
    ...env,
    TASK_ROOT: taskRoot,
    HANDLER: 'predict',
    EVENT: JSON.stringify(event),
    NODE_ENV: 'production',
    DEFAULT_MODEL: NAME,
  }).result;
}

/** The main model in a folder, and measureLoad over the packaged handler with the function's environment. */
export function largeModelBench(pinned: Pinned, taskRoot: string, functionEnv: Record<string, string>): LargeModelBench & { bytes: number; hidden: number; cleanup(): void } {
  const { dir, manifest, bytes, hidden } = largeModelsDir(MAIN_MB);
  const event = predictEvent(manifest);
  return {
    modelsDir: dir,
    manifest,
    bytes,
    hidden,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    async measureLoad(label, prepare) {
      const samples: ColdSample[] = [];
      const prepared: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const started = performance.now();
        const source = await prepare();
        prepared.push(performance.now() - started);
        try {
          samples.push(coldStart(pinned, taskRoot, { ...functionEnv, ...source.env }, event));
        } finally {
          await source.cleanup?.();
        }
      }
      return { label, modelMb: MAIN_MB, runs: RUNS, prepareMs: median(prepared), totalRangeMs: range(samples.map((x) => x.totalMs)), ...medians(samples, ['moduleLoadMs', 'sessionMs', 'fetchMs', 'firstCallMs', 'totalMs', 'peakRssMb'] as const) };
    },
  };
}

/** onnxruntime alone on the model, one option changed at a time against the service's (lib/model SESSION_OPTIONS). */
function sessionOptionRows(pinned: Pinned, taskRoot: string, modelFile: string): OptionRow[] {
  const base = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-large-opt-'));
  const saved = path.join(scratch, 'optimized.onnx');
  try {
    const probe = (options: Record<string, unknown>, source: 'bytes' | 'path', model = modelFile) =>
      childJson<Omit<OptionRow, 'option' | 'createRangeMs'>>(pinned, [path.join(root, 'bench/probes/large-session.js')], { TASK_ROOT: taskRoot, MODEL: model, SOURCE: source, OPTIONS: JSON.stringify(options), ORT_DISABLE_TELEMETRY: '1' }).result;
    // Saved once at 'extended' (portable; 'all' writes CPU-specific kernels), as model:add or model:push could.
    const save = probe({ ...base, graphOptimizationLevel: 'extended', optimizedModelFilePath: saved }, 'bytes');
    const rows: { option: string; run: () => Omit<OptionRow, 'option' | 'createRangeMs'> }[] = [
      { option: "the service's: from the file's bytes, graphOptimizationLevel 'all', arena and memory pattern on", run: () => probe(base, 'bytes') },
      { option: 'from the file path (onnxruntime reads it)', run: () => probe(base, 'path') },
      { option: "graphOptimizationLevel 'disabled'", run: () => probe({ ...base, graphOptimizationLevel: 'disabled' }, 'bytes') },
      { option: "graphOptimizationLevel 'basic'", run: () => probe({ ...base, graphOptimizationLevel: 'basic' }, 'bytes') },
      { option: "graphOptimizationLevel 'extended'", run: () => probe({ ...base, graphOptimizationLevel: 'extended' }, 'bytes') },
      { option: 'enableCpuMemArena false', run: () => probe({ ...base, enableCpuMemArena: false }, 'bytes') },
      { option: 'enableMemPattern false', run: () => probe({ ...base, enableMemPattern: false }, 'bytes') },
      { option: "pre-optimised file (optimizedModelFilePath at 'extended'), loaded at 'disabled'", run: () => probe({ ...base, graphOptimizationLevel: 'disabled' }, 'bytes', saved) },
      { option: "pre-optimised file, loaded from its path at 'disabled'", run: () => probe({ ...base, graphOptimizationLevel: 'disabled' }, 'path', saved) },
    ];
    const samples = rows.map(() => [] as Omit<OptionRow, 'option' | 'createRangeMs'>[]);
    // Rows alternate, so a slow moment of the machine falls on all of them alike.
    for (let run = 0; run < RUNS; run++) rows.forEach((row, i) => samples[i]!.push(row.run()));
    return [
      ...rows.map((row, i) => {
        const creates = samples[i]!.map((x) => x.createMs);
        return { option: row.option, createRangeMs: [Math.min(...creates), Math.max(...creates)] as [number, number], ...medians(samples[i]!, ['createMs', 'readMs', 'firstRunMs', 'peakRssMb', 'rssAfterMb'] as const) };
      }),
      { option: `saving the pre-optimised file (${(statSync(saved).size / MB).toFixed(1)} MB), once`, createMs: save.createMs, createRangeMs: [save.createMs, save.createMs], readMs: save.readMs, firstRunMs: save.firstRunMs, peakRssMb: save.peakRssMb, rssAfterMb: save.rssAfterMb },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Least squares of y on x. */
function line(points: readonly { x: number; y: number }[]): { intercept: number; slope: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const slope = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return { intercept: my - slope * mx, slope };
}

/**
 * Everything: the packaged folder's cold start through measureLoad, then any
 * other `sources` (e.g. the local S3 store), the session options and the sweep.
 */
export async function runLargeModel(
  pinned: Pinned,
  taskRoot: string,
  functionEnv: Record<string, string>,
  sources: ((bench: LargeModelBench) => Promise<LoadFigure>)[] = [],
): Promise<LargeModelResults> {
  mkdirSync(CACHE, { recursive: true });
  const log = (m: string) => process.stderr.write(`bench: large model: ${m}\n`);
  log(`a ${MAIN_MB} MB wide MLP added with model:add; ${RUNS} cold starts of the packaged predict handler`);
  const bench = largeModelBench(pinned, taskRoot, functionEnv);
  try {
    const loads = [await bench.measureLoad('the packaged folder (MODELS_DIR, as the zip or an image carries it)', async () => ({ env: { MODELS_DIR: bench.modelsDir } }))];
    for (const source of sources) loads.push(await source(bench));
    log('session options, onnxruntime alone');
    const options = sessionOptionRows(pinned, taskRoot, path.join(bench.modelsDir, NAME, '1.0.0', bench.manifest.file));
    const sweep: LargeModelResults['sweep'] = [];
    for (const mb of SWEEP_MB) {
      log(`sweep: ${mb} MB`);
      const { dir, manifest } = largeModelsDir(mb);
      try {
        const event = predictEvent(manifest);
        const samples = Array.from({ length: RUNS }, () => coldStart(pinned, taskRoot, { ...functionEnv, MODELS_DIR: dir }, event));
        sweep.push({ mb, totalRangeMs: range(samples.map((x) => x.totalMs)), ...medians(samples, ['totalMs', 'sessionMs', 'peakRssMb'] as const) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const fitOf = (points: { x: number; y: number }[]) => {
      const { intercept, slope } = line(points);
      return { fixedMs: intercept, msPerMb: slope, mbIn10s: (LAMBDA.initSeconds * 1000 - intercept) / slope };
    };
    return {
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
      pinned: { cpu: pinned.cpu, command: pinned.command },
      model: { mb: MAIN_MB, bytes: bench.bytes, hidden: bench.hidden, needs: needsFor(bench.bytes) },
      loads,
      options,
      sweep,
      fit: { ...fitOf(sweep.map((s) => ({ x: s.mb, y: s.totalMs }))), slowest: fitOf(sweep.map((s) => ({ x: s.mb, y: s.totalRangeMs[1] }))) },
    };
  } finally {
    bench.cleanup();
  }
}

const f = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** BENCHMARKS.md's "Large models" section. */
export function largeModelSection(r: LargeModelResults | undefined): string {
  if (!r) return '## Large models\n\nNot measured yet: `npm run bench -- large-model` (a few minutes).\n';
  const pin = r.pinned.command ? `pinned to CPU ${r.pinned.cpu} (\`${r.pinned.command}\`)` : '**not pinned** (taskset was not available)';
  const loads = r.loads.map((l) => `| ${l.label} | ${f(l.prepareMs)} | ${f(l.moduleLoadMs)} | ${f(l.sessionMs)} | ${f(l.fetchMs ?? 0)} | ${f(l.firstCallMs, 1)} | ${f(l.totalMs)} (${f(l.totalRangeMs[0])}–${f(l.totalRangeMs[1])}) | ${f(l.peakRssMb)} |`);
  const options = r.options.map((o) => `| ${o.option} | ${f(o.readMs)} | ${f(o.createMs)} (${f(o.createRangeMs[0])}–${f(o.createRangeMs[1])}) | ${f(o.firstRunMs, 1)} | ${f(o.peakRssMb)} | ${f(o.rssAfterMb)} |`);
  const [service, fromPath] = r.options as [OptionRow, OptionRow];
  const otherPeaks = r.options.slice(2, -1).filter((o) => !o.option.includes('from its path')).map((o) => Math.abs(o.peakRssMb - service.peakRssMb));
  const sweep = r.sweep.map((s) => `| ${s.mb} MB | ${f(s.sessionMs)} | ${f(s.totalMs)} (${f(s.totalRangeMs[0])}–${f(s.totalRangeMs[1])}) | ${f(s.peakRssMb)} | ${needsFor(s.mb * 1e6).memoryMb} MB |`);
  // Lambda gives a function CPU in proportion to its memory: 1,769 MB is one vCPU.
  const vcpuAt = (memoryMb: number) => Math.min(1, memoryMb / 1769);
  const limitMemory = needsFor(r.fit.mbIn10s * 1e6).memoryMb;
  const smallest1Vcpu = Math.ceil(((1769 / MEMORY_RULE.headroom - MEMORY_RULE.baseMb) / MEMORY_RULE.perModelMb) * (MB / 1e6));
  const zipRoom = (LAMBDA.unzippedBytes - CODE_BUDGET.unzippedBytes) / 1e6;
  const seconds = (mb: number, mbPerS: number) => f(mb / mbPerS, 1);
  return `## Large models

Measured on ${r.measured.slice(0, 10)} by \`npm run bench -- large-model\` (a few minutes; not part of the default run): ${r.machine.cpu}, ${r.machine.cores} cores, shared with other work; Node ${r.machine.node}; every process ${pin}. The model: a wide MLP (scripts/wide-mlp.ts: [1, 256] → MatMul to ${f(r.model.hidden)} → Relu → MatMul to 8) of ${f(r.model.bytes / 1e6, 1)} MB of float32 weights, generated (cached in \`.bench-cache/large-models/\`) and added with \`npm run model:add\` as a tensor model; random weights, so it compresses as little as a real checkpoint. The sizing rule gives it ${r.model.needs.memoryMb} MB of memory and ${r.model.needs.tmpMb} MB of /tmp (scripts/model-sizing.js).

### Cold start, by where the model comes from

The packaged predict handler in a fresh process per run (bench/probes/cold.js), the model as \`DEFAULT_MODEL\`, loaded during init as deployed; medians of ${r.loads[0]?.runs ?? 0}. Init: the module load, which for a large model is mostly its file's read and sha256 (lib/model reads and checks it synchronously, before the module has finished loading), and the model's load (\`InferenceSession.create\`, the signature check, the golden self-test); first answer: one row. Peak RSS: the process's VmHWM.

| source | prepare (ms) | module load (ms) | model load in init (ms) | of which the download (ms) | first answer (ms) | require to answer (ms), median (fastest–slowest) | peak RSS (MB) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${loads.join('\n')}

### Session options at this size

onnxruntime alone (bench/probes/large-session.js), a fresh process per row, one option changed at a time against the service's (one intra-op and one inter-op thread), rows alternating, medians of ${r.loads[0]?.runs ?? 0}. Read: the file into a Buffer (0 from a path: onnxruntime reads it); create: \`InferenceSession.create\`; peak and after: VmHWM and VmRSS after one run.

| option | read (ms) | create (ms), median (fastest–slowest run) | first run (ms) | peak RSS (MB) | RSS after (MB) |
| --- | --- | --- | --- | --- | --- |
${options.join('\n')}

From its path the load peaks ${f(service.peakRssMb - fromPath.peakRssMb)} MB lower: onnxruntime reads the file itself, so the weights are held once, not also as the Buffer lib/model reads and verifies (a store that downloads to /tmp can hand onnxruntime the path after checking the file). No other option moves peak RSS by more than ${f(Math.max(...otherPeaks))} MB: the graph is two MatMuls, with nothing for graph optimisation to fuse and no intermediate tensor large enough for the arena or the memory pattern to matter. Read the create times with each row's spread: a difference inside the rows' fastest–slowest ranges is this shared machine's, not the option's. For a convolutional graph a file saved at 'extended' does load faster and lighter (README, "Performance": the ResNet-18).

### Up to what size a model loads within Lambda's 10 s init

The same cold start on models of ${r.sweep.map((s) => `${s.mb}`).join(', ')} MB (medians of ${r.loads[0]?.runs ?? 0}; model sizes in MB of 10^6 bytes, memory in Lambda's MB of 2^20):

| model | model load in init (ms) | require to answer (ms), median (fastest–slowest) | peak RSS (MB) | memorySize the rule gives |
| --- | --- | --- | --- | --- |
${sweep.join('\n')}

A straight line through them: ${f(r.fit.fixedMs)} ms + ${f(r.fit.msPerMb, 2)} ms per MB, so **about ${f(r.fit.mbIn10s)} MB loads within 10 s on one core of this machine**, ${f(r.fit.slowest.mbIn10s)} MB through each size's slowest run (${f(r.fit.slowest.msPerMb, 2)} ms per MB; the machine is shared, and the slowest runs are its busiest moments). Init here is the module load and the model's load; on Lambda the runtime's own start comes on top. Lambda gives CPU in proportion to memory (1,769 MB is one vCPU), and the sizing rule gives such a model ${limitMemory} MB, ${vcpuAt(limitMemory) >= 1 ? 'a full vCPU' : `${f(vcpuAt(limitMemory), 2)} of a vCPU`}; every model over about ${smallest1Vcpu} MB gets 1,769 MB or more from the rule, and below that the whole load takes at most about ${f((r.fit.fixedMs + r.fit.msPerMb * smallest1Vcpu) / 1000, 1)} s here, ${f((r.fit.fixedMs + r.fit.msPerMb * smallest1Vcpu) / 1000 / vcpuAt(1024), 1)} s if it ran at the share of 1,024 MB (${f(vcpuAt(1024), 2)} vCPU). A Lambda vCPU is not this machine's core: measure on the account before relying on the margin. Past the limit, Lambda retries a timed-out init with the first request, under the function's own timeout (10 s here): raise \`timeout\` for the scoring functions, or load the model on its first request rather than in init.

What bounds each way first:

- **The zip**: code and models at most 250 MB unzipped; with the code at its budget (${CODE_BUDGET.unzippedBytes / MB} MiB) that leaves about ${f(zipRoom)} MB (${f((zipRoom * 1e6) / MB)} MiB) for models, far under what loads within 10 s. The package, not init, is the limit.
- **The store** (a download into /tmp during init, README "Large models"): the download comes on top of the load. AWS documents S3's request rates (at least 5,500 GET/s per partitioned prefix) and recommends concurrent byte-range GETs of 8 to 16 MB for throughput, but documents no network bandwidth for a Lambda function, so a download's time there can only be measured there. For this ${f(r.model.bytes / 1e6)} MB model it would add ${seconds(r.model.bytes / 1e6, 50)} s at an assumed 50 MB/s, ${seconds(r.model.bytes / 1e6, 100)} s at 100 MB/s and ${seconds(r.model.bytes / 1e6, 300)} s at 300 MB/s (assumptions, not measurements), plus the sha256 of the file, which the load already includes here; a model of ${f(r.fit.mbIn10s / 2)} MB would spend about half of the 10 s loading, leaving the rest for the download.
- **The container image**: up to 10 GB, read from the function's own file system like the zip, with no download of the model in init. It beats the zip once the models pass the zip's ${f(zipRoom)} MB, and beats the store when the download would take a large share of init or the models change with the code anyway; the store wins when models change more often than the code (a push, no deploy) or when several stages share the same models. Lambda fetches an image's contents when a container starts, which this machine cannot measure: the image was not built or run here.
`;
}
