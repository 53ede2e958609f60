// npm run bench:ablations: what each cold-start choice is worth, measured one
// change at a time against the package as shipped, on the pinned CPU
// (bench/pin.ts), rows alternating. Packages the dev stage, rebuilds the
// predict bundle with one change per row (esbuild with the options
// serverless-esbuild used, read from the packaged state), and runs
// onnxruntime alone with each session option. Writes bench/ablations.json,
// which BENCHMARKS.md shows; `npm run bench -- --report` redraws it.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { SESSION_OPTIONS } from '../lib/model';
import type { Ablations } from './ablations-format';
import { childJson, customers, functionEnvironments, lambdaTracing, packageArtifact, root, SAMPLED, UNSAMPLED } from './artifact';
import { pinning } from './pin';
import type { ColdFigure } from './cold-figure';
import { medians } from './stats';

const RUNS = Number(process.env.BENCH_ABLATION_RUNS ?? 15);
const log = (message: string) => process.stderr.write(`bench:ablations: ${message}\n`);

interface EsbuildState {
  service: { custom: { esbuild: BuildOptions & { plugins: string } } };
}

/** The options serverless-esbuild bundled the functions with, and the plugins by name. */
function shippedBuild(artifactDir: string): { options: BuildOptions; plugins: Plugin[] } {
  const state = JSON.parse(readFileSync(path.join(artifactDir, 'serverless-state.json'), 'utf8')) as EsbuildState;
  const { bundle, minify, keepNames, sourcemap, target, platform, format, external, plugins } = state.service.custom.esbuild;
  return { options: { bundle, minify, keepNames, sourcemap, target, platform, format, external }, plugins: require(path.join(root, plugins)) as Plugin[] };
}

/** A task root that shares the package's models and node_modules (linked, one link per package) but has its own predict bundle. */
async function variantRoot(taskRoot: string, entry: string, options: BuildOptions, plugins: Plugin[]): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-ablation-'));
  symlinkSync(path.join(taskRoot, 'models'), path.join(dir, 'models'));
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(path.join(taskRoot, 'node_modules'))) symlinkSync(path.join(taskRoot, 'node_modules', name), path.join(modules, name));
  await build({ ...options, plugins, entryPoints: [entry], outfile: path.join(dir, 'handlers', 'predict.js'), absWorkingDir: root, logLevel: 'warning' });
  return dir;
}

/** An entry written for one row, beside the build output (.esbuild/ is not committed). */
function entryFile(name: string, source: string): string {
  const dir = path.join(root, '.esbuild', 'ablations');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, source);
  return file;
}

const handlerEntry = path.join(root, 'handlers', 'predict.ts');
const predictModule = JSON.stringify(path.join(root, 'handlers', 'predict'));

async function main(): Promise<void> {
  const pinned = pinning();
  log('packaging the dev stage');
  const { artifactDir, taskRoot } = packageArtifact();
  const scratch: string[] = [taskRoot];
  try {
    const { options, plugins } = shippedBuild(artifactDir);
    const without = (name: string) => plugins.filter((p) => p.name !== name);
    const env = { ...functionEnvironments(artifactDir).predict!, ...lambdaTracing('predict', taskRoot, 9, UNSAMPLED) };
    const sampled = { ...env, _X_AMZN_TRACE_ID: SAMPLED };
    const { ORT_DISABLE_TELEMETRY: _telemetry, ...telemetryOn } = env;
    log('building the variants');
    const rows: { name: string; shipped: boolean; why: string; dir: string; env: Record<string, string> }[] = [
      { name: 'as shipped (the package)', shipped: true, why: 'the reference', dir: taskRoot, env },
      {
        name: 'bundles not minified',
        shipped: false,
        why: 'minified, V8 has less to parse and the process less to hold; names are kept for the error classes',
        dir: await variantRoot(taskRoot, handlerEntry, { ...options, minify: false, keepNames: false }, plugins),
        env,
      },
      {
        name: 'schemas compiled by Ajv at run time',
        shipped: false,
        why: "compiling the manifest and record schemas was the largest piece of the cold start's JavaScript in the profile",
        dir: await variantRoot(taskRoot, handlerEntry, options, without('precompiled-validators').filter((p) => p.name !== 'ajv-compiler-not-bundled')),
        env,
      },
      {
        name: "Ajv's compiler bundled (every schema precompiled, so unused)",
        shipped: false,
        why: 'never used in a package; parsing it is not free',
        dir: await variantRoot(taskRoot, handlerEntry, options, without('ajv-compiler-not-bundled')),
        env,
      },
      {
        name: "onnxruntime-node's JavaScript required from node_modules",
        shipped: false,
        why: "Node's loader resolving and reading its ~30 files, cold",
        // onnxruntime-common external too, as onnxruntime-node requires it: one Tensor class.
        dir: await variantRoot(taskRoot, handlerEntry, { ...options, external: [...(options.external ?? []), 'onnxruntime-common'] }, without('onnxruntime-js-bundled')),
        env,
      },
      { name: "onnxruntime's telemetry on (ORT_DISABLE_TELEMETRY unset)", shipped: false, why: 'a telemetry client started with the first session: files, fsyncs, threads', dir: taskRoot, env: telemetryOn },
      {
        name: 'csv-parse and csv-stringify bundled into the function',
        shipped: false,
        why: 'parsed by every cold start, though needed only for a CSV body or answer',
        dir: await variantRoot(taskRoot, handlerEntry, options, without('libraries-loaded-apart')),
        env,
      },
      {
        name: "middy's stream modules (node:stream/web, node:stream/promises) required during init",
        shipped: false,
        why: 'used only to stream a response, which no function does',
        dir: await variantRoot(taskRoot, handlerEntry, options, without('middy-streaming-loaded-when-used')),
        env,
      },
      {
        name: 'node:dgram required during init',
        shipped: false,
        why: "the X-Ray daemon's socket is needed from a container's first sampled request on",
        dir: await variantRoot(taskRoot, entryFile('dgram-at-init', `import 'node:dgram';\nexport { handler } from ${predictModule};\n`), options, plugins),
        env,
      },
      { name: 'first request sampled by X-Ray', shipped: true, why: "the package when a container's first request is sampled: its subsegments are built and sent", dir: taskRoot, env: sampled },
      {
        name: 'an onnxruntime session started before the rest of the handler loads',
        shipped: false,
        why: 'onnxruntime-node creates a session synchronously on the main thread (in a setImmediate, dist/backend.js): started first, the same work only moves, on one CPU or two',
        dir: await variantRoot(
          taskRoot,
          entryFile(
            'session-first',
            [
              "import path from 'node:path';",
              "import { InferenceSession } from 'onnxruntime-node';",
              `const early = InferenceSession.create(path.join(__dirname, '..', 'models', 'churn', '1.0.0', 'model.onnx'), ${JSON.stringify(SESSION_OPTIONS)});`,
              `let loaded: typeof import(${predictModule}) | undefined;`,
              'export const handler = async (event: unknown, context: unknown) => {',
              '  await early;',
              `  loaded ??= require(${predictModule}) as typeof import(${predictModule});`,
              '  return (loaded.handler as unknown as (e: unknown, c: unknown) => Promise<unknown>)(event, context);',
              '};',
              '',
            ].join('\n'),
          ),
          options,
          plugins,
        ),
        env,
      },
    ];
    scratch.push(...new Set(rows.map((r) => r.dir).filter((d) => d !== taskRoot)));

    const event = { httpMethod: 'POST', path: '/predict', resource: '/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify(customers()[0]), isBase64Encoded: false, pathParameters: null, requestContext: {} };
    const probe = path.join(root, 'bench/probes/cold.js');
    const samples = rows.map(() => [] as ColdFigure[]);
    log(`cold starts: ${RUNS} rounds of ${rows.length} rows`);
    for (let round = 0; round < RUNS; round++) {
      rows.forEach((row, i) => {
        const { result, processMs } = childJson<Omit<ColdFigure, 'processMs' | 'spawnToAnswerMs'>>(pinned, [probe], {
          ...row.env,
          TASK_ROOT: row.dir,
          HANDLER: 'predict',
          EVENT: JSON.stringify(event),
          NODE_ENV: 'production',
        });
        samples[i]!.push({ ...result, processMs, spawnToAnswerMs: NaN });
      });
    }

    const shipped = SESSION_OPTIONS as Record<string, unknown>;
    const sessionRows: { name: string; options: Record<string, unknown>; source?: 'path'; telemetry?: boolean }[] = [
      { name: `as shipped: ${JSON.stringify(shipped)}, from the file's bytes (sha256 checked first)`, options: shipped },
      { name: 'from the file path', options: shipped, source: 'path' },
      { name: 'graphOptimizationLevel "disabled"', options: { ...shipped, graphOptimizationLevel: 'disabled' } },
      { name: 'graphOptimizationLevel "basic"', options: { ...shipped, graphOptimizationLevel: 'basic' } },
      { name: 'graphOptimizationLevel "extended"', options: { ...shipped, graphOptimizationLevel: 'extended' } },
      { name: 'enableCpuMemArena false', options: { ...shipped, enableCpuMemArena: false } },
      { name: 'enableMemPattern false', options: { ...shipped, enableMemPattern: false } },
      { name: 'executionMode "parallel"', options: { ...shipped, executionMode: 'parallel' } },
      { name: 'intraOpNumThreads 2', options: { ...shipped, intraOpNumThreads: 2 } },
      { name: "onnxruntime's defaults (no options)", options: {} },
      { name: 'as shipped, telemetry on (ORT_DISABLE_TELEMETRY unset)', options: shipped, telemetry: true },
    ];
    const sessionProbe = path.join(root, 'bench/probes/session.js');
    const model = path.join(taskRoot, 'models', 'churn', '1.0.0', 'model.onnx');
    type SessionSample = Omit<Ablations['session'][number], 'name'>;
    const sessionSamples = sessionRows.map(() => [] as SessionSample[]);
    log(`onnxruntime alone: ${RUNS} rounds of ${sessionRows.length} session settings`);
    for (let round = 0; round < RUNS; round++) {
      sessionRows.forEach((row, i) => {
        const rowEnv = { TASK_ROOT: taskRoot, MODEL: model, ...(row.telemetry ? {} : { ORT_DISABLE_TELEMETRY: '1' }) };
        sessionSamples[i]!.push(childJson<SessionSample>(pinned, [sessionProbe, JSON.stringify(row.options), row.source ?? 'bytes'], rowEnv).result);
      });
    }

    const ablations: Ablations = {
      measured: new Date().toISOString(),
      machine: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, Node ${process.version}`,
      pinned: pinned.command,
      runs: RUNS,
      handler: rows.map((row, i) => ({
        name: row.name,
        shipped: row.shipped,
        why: row.why,
        ...medians(samples[i]!, ['totalMs', 'moduleLoadMs', 'sessionMs', 'firstCallMs', 'processMs', 'peakRssMb'] as const),
      })),
      session: sessionRows.map((row, i) => ({
        name: row.name,
        ...medians(sessionSamples[i]!, ['requireMs', 'firstSessionMs', 'secondSessionMs', 'firstRunMs', 'peakRssMb'] as const),
      })),
    };
    writeFileSync(path.join(root, 'bench/ablations.json'), `${JSON.stringify(ablations, null, 2)}\n`);
    for (const row of ablations.handler) log(`${row.totalMs.toFixed(1)} ms in-process, ${row.processMs.toFixed(1)} ms process, ${row.peakRssMb.toFixed(1)} MB: ${row.name}`);
    for (const row of ablations.session) log(`${row.firstSessionMs.toFixed(1)} ms first session, ${row.secondSessionMs.toFixed(2)} ms second: ${row.name}`);
    log('written: bench/ablations.json (npm run bench -- --report redraws BENCHMARKS.md with it)');
  } finally {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:ablations: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
