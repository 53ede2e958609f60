import { createHash } from 'node:crypto';
import { InferenceSession } from 'onnxruntime-node';
import { ModelLoadError } from './errors';
import { shapeText, type Manifest, type TensorSpec } from './manifest';
import { readManifest, readModelFile } from './model-files';
import { createTask } from './tasks';
import type { FeatureRecord, RecordNote, Task } from './tasks/task';

export interface ModelInfo {
  name: string;
  version: string;
  sha256: string;
  /** When the session became ready (ISO-8601) and how long loading took. */
  loadedAt: string;
  loadMs: number;
}

export interface Scored {
  /** One answer per record, shaped as the manifest names things. */
  answers: Record<string, unknown>[];
  notes: RecordNote[];
}

/** A model ready to score: manifest, task and one live ONNX session. */
export interface Model {
  readonly manifest: Manifest;
  readonly info: ModelInfo;
  readonly task: Task;
  /** Encodes the whole batch into one tensor and runs the session once. */
  predict(records: readonly FeatureRecord[]): Promise<Scored>;
  /** Runs the graph on tensors the caller built (the Open Inference Protocol route). */
  run(feeds: InferenceSession.FeedsType): Promise<InferenceSession.OnnxValueMapType>;
  /** Frees the native session; the model cannot be used afterwards. */
  release(): Promise<void>;
}

// One thread: a Lambda with 1-2 vCPUs gains nothing from ORT's thread pool on
// models this small, and spinning it up costs init time (TOOLCHAIN.md: 21 µs
// vs 24 µs per single-row run).
const sessionOptions: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** The graph's own signature must be the one the manifest describes. */
function checkTensor(kind: 'input' | 'output', metadata: readonly InferenceSession.ValueMetadata[], spec: TensorSpec): void {
  const found = metadata.find((m) => m.name === spec.name);
  if (!found) {
    throw new ModelLoadError(`the ONNX graph has no ${kind} named "${spec.name}" (it has: ${metadata.map((m) => m.name).join(', ')})`);
  }
  if (!found.isTensor || found.type !== spec.type) {
    throw new ModelLoadError(`${kind} "${spec.name}" is not a ${spec.type} tensor in the ONNX graph`);
  }
  // A null in the manifest is a free (batch) dimension; numbers must agree.
  const agrees = found.shape.length === spec.shape.length && spec.shape.every((dim, i) => dim === null || found.shape[i] === dim);
  if (!agrees) {
    throw new ModelLoadError(`${kind} "${spec.name}" has shape ${shapeText(found.shape)}; the manifest says ${shapeText(spec.shape)}`);
  }
}

/** A record of the right shape for the warm-up run; its values do not matter. */
function warmUpRecord(manifest: Manifest): FeatureRecord {
  if (manifest.task === 'text-classification') return { [manifest.text.field]: '' };
  return Object.fromEntries(manifest.features.map((f) => [f.name, f.type === 'numeric' ? 0 : (f.values[0] ?? '')]));
}

/**
 * Loads one model folder: reads and checks the manifest, verifies the ONNX
 * file's sha256 before onnxruntime ever sees it, creates the session and
 * checks its signature against the manifest. Throws ModelLoadError with a
 * reason that is safe to return to a client (no paths).
 */
export async function loadModel(dir: string): Promise<Model> {
  const started = performance.now();
  const manifest = readManifest(dir);
  const bytes = readModelFile(dir, manifest.file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new ModelLoadError(`sha256 mismatch: ${manifest.file} is ${sha256}, the manifest expects ${manifest.sha256}`);
  }

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, sessionOptions);
  } catch {
    throw new ModelLoadError(`onnxruntime could not load ${manifest.file}`);
  }
  checkTensor('input', session.inputMetadata, manifest.onnx.input);
  checkTensor('output', session.outputMetadata, manifest.onnx.output);

  const task = createTask(manifest);
  // One throw-away run: onnxruntime's first run allocates, and that belongs
  // in loading (Lambda's init), not in the first client's call.
  await session.run(task.encode([warmUpRecord(manifest)]).feeds);
  const info: ModelInfo = {
    name: manifest.name,
    version: manifest.version,
    sha256,
    loadedAt: new Date().toISOString(),
    loadMs: Math.round((performance.now() - started) * 100) / 100,
  };
  return {
    manifest,
    info,
    task,
    async predict(records) {
      if (records.length === 0) return { answers: [], notes: [] };
      const { feeds, notes } = task.encode(records);
      const outputs = await session.run(feeds);
      return { answers: task.answers(outputs, records.length), notes };
    },
    run: (feeds) => session.run(feeds),
    release: () => session.release(),
  };
}
