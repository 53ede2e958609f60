import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { createEncoder, type Encoder, type FeatureRecord, type UnknownCategory } from './encoding';
import { ModelLoadError } from './errors';
import { parseManifest, type Manifest, type TensorSpec } from './manifest';

export interface Prediction {
  probability: number;
  /** probability >= the manifest's threshold. */
  positive: boolean;
}

export interface BatchResult {
  predictions: Prediction[];
  unknownCategories: UnknownCategory[];
}

export interface ModelInfo {
  name: string;
  version: string;
  sha256: string;
  /** When the session became ready (ISO-8601) and how long loading took. */
  loadedAt: string;
  loadMs: number;
}

/** A model ready to score: manifest, encoder and one live ONNX session. */
export interface Model {
  readonly manifest: Manifest;
  readonly info: ModelInfo;
  predict(records: readonly FeatureRecord[]): Promise<BatchResult>;
}

// One thread: a Lambda with 1-2 vCPUs gains nothing from ORT's thread pool on
// a model this small, and spinning it up costs init time (TOOLCHAIN.md: 21 µs
// vs 24 µs per single-row run).
const sessionOptions: InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

// Synchronous on purpose: loading runs once, during Lambda's init phase, and
// with no await before InferenceSession.create the session is built before the
// runtime asks for the first event.
function readModelFile(dir: string, name: string): Buffer {
  try {
    return readFileSync(path.join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code === 'ENOENT' ? `${name} is missing` : `${name} cannot be read (${code ?? 'error'})`);
  }
}

function describeShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

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
  const agrees =
    found.shape.length === spec.shape.length &&
    spec.shape.every((dim, i) => dim === null || found.shape[i] === dim);
  if (!agrees) {
    throw new ModelLoadError(`${kind} "${spec.name}" has shape ${describeShape(found.shape)}; the manifest says ${describeShape(spec.shape)}`);
  }
}

function checkSessionMatches(session: InferenceSession, manifest: Manifest): void {
  checkTensor('input', session.inputMetadata, manifest.onnx.input);
  checkTensor('output', session.outputMetadata, manifest.onnx.output);
}

/**
 * Loads one model folder: reads and checks the manifest, verifies the ONNX
 * file's sha256 before onnxruntime ever sees it, creates the session.
 * Throws ModelLoadError with a reason that is safe to return to a client.
 */
export async function loadModel(dir: string): Promise<Model> {
  const started = performance.now();
  const manifest = parseManifest(readModelFile(dir, 'model.json').toString('utf8'));
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
  checkSessionMatches(session, manifest);

  const encoder = createEncoder(manifest.features);
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
    predict: (records) => score(session, manifest, encoder, records),
  };
}

/** Encodes the whole batch into one tensor and runs the session once. */
async function score(
  session: InferenceSession,
  manifest: Manifest,
  encoder: Encoder,
  records: readonly FeatureRecord[],
): Promise<BatchResult> {
  if (records.length === 0) return { predictions: [], unknownCategories: [] };
  const { data, unknownCategories } = encoder.encode(records);
  const input = new Tensor('float32', data, [records.length, encoder.width]);
  const outputs = await session.run({ [manifest.onnx.input.name]: input });
  const probabilities = outputs[manifest.onnx.output.name]?.data;
  if (!(probabilities instanceof Float32Array) || probabilities.length !== records.length) {
    throw new Error(`unexpected output from ${manifest.name} ${manifest.version}`);
  }
  const { threshold } = manifest.output;
  const predictions = Array.from(probabilities, (p) => ({ probability: p, positive: p >= threshold }));
  return { predictions, unknownCategories };
}
