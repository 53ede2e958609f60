import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { InferenceFailed, ModelLoadError, ServiceError } from '../errors';
import { extended } from '../plain-object';
import { shorten } from '../shorten';
import { goldenBody, goldenDifference } from './golden';
import { kindOf, type Manifest } from '../kinds';
import type { Feeds, KindRuntime, Outputs, Parameters, PredictBody, Prediction, RunGraph } from '../kinds/kind';
import type { CompanionFiles, GoldenCase, TensorSpec } from '../manifest/base';
import { traced, untraced } from '../observability/tracing';
import { modelMonitoring, type ModelMonitoring } from '../monitoring/model-monitoring';
import { verifiedCompanionFiles, verifiedModelFile } from './model-files';
import { datatypeOf } from '../tensors/datatypes';
import { shapeText } from '../tensors/shape';

/** Time inside onnxruntime's run, summed over one call's runs: the caller decides whose time it is (a shadow's is not the request's). */
export interface Timed {
  inferenceMs: number;
}

export interface ModelInfo {
  name: string;
  version: string;
  kind: string;
  sha256: string;
  /** When the model became ready (ISO-8601), how long loading and the golden self-test took. */
  loadedAt: string;
  loadMs: number;
  goldenMs: number;
}

/** A model ready to score: its manifest, its kind's runtime and one live ONNX session. */
export interface Model {
  readonly manifest: Manifest;
  readonly info: ModelInfo;
  readonly runtime: KindRuntime;
  /** How its records are captured and profiled (lib/monitoring). */
  readonly monitoring: ModelMonitoring;
  /** POST /models/{name}/predict on this model: the answer body (no model reference), warnings, and the time onnxruntime took. */
  predict(body: PredictBody, parameters?: Parameters): Promise<Prediction & Timed>;
  /** Runs the graph on tensors the caller built; output names select a subset. */
  run(feeds: Feeds, outputNames?: readonly string[]): Promise<{ outputs: Outputs } & Timed>;
  /** Frees the native session; the model cannot be used afterwards. */
  release(): Promise<void>;
}

// One thread: a Lambda with 1-2 vCPUs gains nothing from ORT's thread pool on
// models this small, and spinning it up costs init time (TOOLCHAIN.md: 21 µs
// vs 24 µs per single-row run; a second intra-op thread added ~3.6 ms to the
// first session, pinned). The other options' defaults were measured against
// their alternatives too (BENCHMARKS.md, "Ablations"): none moved a session
// of these models by more than the noise.
export const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** A dimension of the graph agrees with the manifest's: fixed ones equal, dynamic ones dynamic. */
function sameDim(graph: number | string, manifest: TensorSpec['shape'][number]): boolean {
  return typeof manifest === 'number' ? graph === manifest : typeof graph !== 'number';
}

/** The graph's own signature must be the one the manifest describes, every input and output. */
function checkSignature(kind: 'input' | 'output', metadata: readonly InferenceSession.ValueMetadata[], specs: readonly TensorSpec[]): void {
  for (const found of metadata) {
    const spec = specs.find((s) => s.name === found.name);
    if (!spec) {
      if (kind === 'output' && !found.isTensor) continue; // not served; the manifest lists tensor outputs only
      throw new ModelLoadError(`the ONNX graph has an ${kind} "${found.name}" that the manifest does not list`);
    }
    if (!found.isTensor) {
      throw new ModelLoadError(`${kind} "${found.name}" is not a tensor in the ONNX graph (a ZipMap's map output?): add the file with npm run model:add, which rewrites it`);
    }
    if (datatypeOf(found.type) !== spec.datatype) {
      throw new ModelLoadError(`${kind} "${spec.name}" is ${datatypeOf(found.type) ?? found.type} in the ONNX graph; the manifest says ${spec.datatype}`);
    }
    const agrees = found.shape.length === spec.shape.length && spec.shape.every((dim, i) => sameDim(found.shape[i]!, dim));
    if (!agrees) throw new ModelLoadError(`${kind} "${spec.name}" has shape ${shapeText(found.shape)} in the ONNX graph; the manifest says ${shapeText(spec.shape)}`);
  }
  const missing = specs.find((s) => !metadata.some((m) => m.name === s.name));
  if (missing) throw new ModelLoadError(`the ONNX graph has no ${kind} named "${missing.name}" (it has: ${metadata.map((m) => m.name).join(', ')})`);
}

/**
 * Runs every golden case through the same path a request takes and compares
 * the answers with the recorded ones. This is what makes an edited manifest
 * (swapped values, columns, labels, threshold) or a platform that computes
 * differently refuse to serve, instead of serving wrong answers. It is also
 * the warm-up: onnxruntime's first run allocates, and that belongs in loading
 * (Lambda's init), not in the first client's call.
 */
async function selfTest(manifest: Manifest, runtime: KindRuntime, run: RunGraph, files: CompanionFiles): Promise<void> {
  const { tolerance, cases } = manifest.golden;
  for (const [index, golden] of cases.entries()) {
    let answer: unknown;
    try {
      answer = await goldenAnswer(manifest, runtime, run, golden, files);
    } catch (error) {
      const reason = error instanceof ServiceError ? error.message : 'onnxruntime failed on it';
      throw new ModelLoadError(`golden case ${index} could not be answered: ${reason}`);
    }
    const difference = goldenDifference(golden.answer, answer, tolerance);
    if (difference) {
      throw new ModelLoadError(`golden case ${index} gives another answer than when the model was added (${difference}; tolerance ${tolerance.absolute} + ${tolerance.relative} × |recorded|)`);
    }
  }
}

/** What the model answers a golden case's request now, as the case records answers (model:add records it, loading compares it). */
export async function goldenAnswer(manifest: Manifest, runtime: KindRuntime, run: RunGraph, golden: GoldenCase, files: CompanionFiles): Promise<unknown> {
  const { body } = await runtime.predict(goldenBody(manifest, golden, files), run);
  return runtime.goldenView(body);
}

/**
 * onnxruntime logs a run it refuses on stderr itself, with its source paths,
 * before it rejects with the same message: that line would stand beside
 * every 422 inference_failed in the function's log. Fatal only: the
 * rejection carries the reason, and the answer says it.
 */
const RUN_OPTIONS: InferenceSession.RunOptions = { logSeverityLevel: 4 };

/** Runs a session on the manifest's outputs, or the ones named. */
export function sessionRunner(session: InferenceSession, manifest: Manifest): RunGraph {
  const allOutputs = manifest.onnx.outputs.map((o) => o.name);
  return (feeds, outputNames) => session.run(feeds, outputNames ?? allOutputs, RUN_OPTIONS);
}

/** onnxruntime's message without its source file, line and C++ function: no internal path reaches a client. */
export const withoutSourceReferences = (message: string) =>
  message.replace(/\S*\.(?:h|hpp|cc|cpp|c):\d+\s*/g, '').replace(/(?:[\w:<>*&]+\s+)?onnxruntime::[\w:<>]+\([^)]*\)\s*/g, '');

/**
 * onnxruntime's refusal of a request's tensors, as a 422 naming their shapes
 * and onnxruntime's reason (its first line, shortened: it names graph nodes,
 * never the request's values).
 */
function inferenceFailed(feeds: Feeds, error: unknown): InferenceFailed {
  const shapes = Object.entries(feeds).map(([name, tensor]) => `"${name}" ${shapeText([...tensor.dims])}`).join(', ');
  // Not instanceof Error: onnxruntime's errors can come from another realm (jest's test environment does that).
  const message = (error as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? shorten(withoutSourceReferences(message.split('\n')[0]!), 300) : 'unknown error';
  return new InferenceFailed(shorten(`onnxruntime could not run the model on inputs ${shapes}: ${reason}`, 480));
}

/** A call's runs, traced and timed for the InferenceLatency metric (the golden self-test's are neither). */
function timedRunner(run: RunGraph): { run: RunGraph; elapsed: () => number } {
  let ms = 0;
  return {
    run: async (feeds, outputNames) => {
      const started = performance.now();
      try {
        return await traced('onnxruntime run', () => run(feeds, outputNames));
      } catch (error) {
        throw inferenceFailed(feeds, error);
      } finally {
        ms += performance.now() - started;
      }
    },
    elapsed: () => ms,
  };
}

/**
 * How the ONNX file reaches onnxruntime. `check-in-memory` (a models
 * folder): read, its sha256 checked, and the bytes handed over, all before
 * the first await, so that during Lambda's init the default model's session
 * is being built while the first event is on its way. `checked-on-disk` (a
 * model store's download, checked as it was written by a process that trusts
 * nothing on disk it did not write): onnxruntime reads the file itself, so a
 * large model is never held twice in memory.
 */
export type ModelFileSource = 'check-in-memory' | 'checked-on-disk';

/**
 * Loads one model version from its valid manifest: verifies the ONNX file's
 * sha256 before onnxruntime ever sees it, creates the session, checks its
 * signature against the manifest, builds the kind's runtime and passes the
 * golden self-test. Throws ModelLoadError with a reason that is safe to
 * return to a client (no paths).
 */
export async function loadModel(dir: string, manifest: Manifest, source: ModelFileSource = 'check-in-memory'): Promise<Model> {
  const started = performance.now();
  const model = source === 'checked-on-disk' ? path.join(dir, manifest.file) : verifiedModelFile(dir, manifest);
  const files = verifiedCompanionFiles(dir, manifest);

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(model as string, SESSION_OPTIONS);
  } catch {
    throw new ModelLoadError(`onnxruntime could not load ${manifest.file}`);
  }
  try {
    checkSignature('input', session.inputMetadata, manifest.onnx.inputs);
    checkSignature('output', session.outputMetadata, manifest.onnx.outputs);
    const run = sessionRunner(session, manifest);
    const runtime = kindOf(manifest).runtime(manifest, files);
    const monitoring = modelMonitoring(manifest, kindOf(manifest).monitoring(manifest), files);
    const goldenStarted = performance.now();
    await untraced(() => selfTest(manifest, runtime, run, files));
    const now = performance.now();
    const info: ModelInfo = {
      name: manifest.name,
      version: manifest.version,
      kind: manifest.kind,
      sha256: manifest.sha256, // verified above
      loadedAt: new Date().toISOString(),
      loadMs: Math.round((now - started) * 100) / 100,
      goldenMs: Math.round((now - goldenStarted) * 100) / 100,
    };
    return {
      manifest,
      info,
      runtime,
      monitoring,
      predict: async (body, parameters) => {
        const timer = timedRunner(run);
        const prediction = await runtime.predict(body, timer.run, parameters);
        return extended(prediction, { inferenceMs: timer.elapsed() });
      },
      run: async (feeds, outputNames) => {
        const timer = timedRunner(run);
        const outputs = await timer.run(feeds, outputNames);
        return { outputs, inferenceMs: timer.elapsed() };
      },
      release: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}
