import type { ValidateFunction } from 'ajv';
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { ajv } from './ajv';
import { PayloadTooLarge, ValidationFailed } from './errors';
import type { DescribedError, ErrorFormat } from './http/error-response';
import type { TensorSpec } from './manifest';
import type { Model } from './model';
import { listModels, resolveModel } from './model-catalog';
import { modelState } from './model-registry';
import { readManifest } from './model-files';
import { maxBatch } from './predict-request';
import { prepareText } from './tasks/text-classification';

/**
 * The Open Inference Protocol (KServe V2) over REST, as specified in
 * kserve/open-inference-protocol, specification/protocol/inference_rest.md.
 */

/** The spec's error object for these routes: {"error": "<message>"}. */
export const v2ErrorFormat: ErrorFormat = ({ message }: DescribedError) => ({ error: message });

/** "onnxruntime_onnx" as KServe and Triton name the backend (the spec lists platform names as information only). */
export const PLATFORM = 'onnxruntime_onnx';

const DATATYPE: Record<TensorSpec['type'], string> = { float32: 'FP32', string: 'BYTES' };

interface MetadataTensor {
  name: string;
  datatype: string;
  shape: number[];
}

/** Variable-size dimensions are -1 in the protocol. */
function metadataTensor(spec: TensorSpec): MetadataTensor {
  return { name: spec.name, datatype: DATATYPE[spec.type], shape: spec.shape.map((d) => d ?? -1) };
}

export function serverMetadata(): Record<string, unknown> {
  return { name: 'ml-inference', version: process.env.SERVICE_VERSION ?? '0.1.0', extensions: [] };
}

export function modelMetadata(name: string, version?: string): Record<string, unknown> {
  const ref = resolveModel(name, version);
  const manifest = readManifest(ref.dir);
  return {
    name: ref.name,
    versions: ref.versions,
    platform: PLATFORM,
    inputs: [metadataTensor(manifest.onnx.input)],
    outputs: [metadataTensor(manifest.onnx.output)],
  };
}

export const inferenceRequestSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters: { type: 'object' },
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype', 'data'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters: { type: 'object' },
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters: { type: 'object' } } },
    },
  },
};

interface RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

interface InferenceRequest {
  id?: string;
  inputs: RequestInput[];
  outputs?: { name: string }[];
}

// Compiled on first use: most containers never serve this route.
let validateRequest: ValidateFunction<InferenceRequest> | undefined;

function bad(message: string): ValidationFailed {
  return new ValidationFailed(message);
}

/** Tensor data may come nested (natural form) or flat; both are row-major. */
function flatten(data: unknown[], limit: number): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[][] = [data];
  const positions = [0];
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    const i = positions.at(-1)!;
    if (i >= top.length) {
      stack.pop();
      positions.pop();
      continue;
    }
    positions[positions.length - 1] = i + 1;
    const item = top[i];
    if (Array.isArray(item)) {
      stack.push(item);
      positions.push(0);
    } else {
      out.push(item);
      if (out.length > limit) break;
    }
  }
  return out;
}

function toTensor(model: Model, spec: TensorSpec, input: RequestInput): Tensor {
  const expected = DATATYPE[spec.type];
  if (input.datatype !== expected) throw bad(`input "${spec.name}" has datatype ${input.datatype}; the model takes ${expected}`);
  const fits = input.shape.length === spec.shape.length && spec.shape.every((d, i) => d === null || input.shape[i] === d);
  if (!fits) {
    throw bad(`input "${spec.name}" has shape [${input.shape.join(', ')}]; the model takes [${spec.shape.map((d) => d ?? -1).join(', ')}]`);
  }
  const rows = input.shape[0] ?? 0;
  if (rows > maxBatch()) throw new PayloadTooLarge(`input "${spec.name}" holds ${rows} rows; at most ${maxBatch()} are accepted per request`);
  if (rows === 0) throw bad(`input "${spec.name}" is empty`);
  const size = input.shape.reduce((a, b) => a * b, 1);
  const values = flatten(input.data, size);
  if (values.length !== size) {
    const held = values.length > size ? `more than ${size}` : String(values.length);
    throw bad(`input "${spec.name}" has shape [${input.shape.join(', ')}], so ${size} values, but data holds ${held}`);
  }

  if (spec.type === 'float32') {
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw bad(`input "${spec.name}": FP32 data must be finite numbers`);
    return new Tensor('float32', Float32Array.from(values as number[]), input.shape);
  }
  const manifest = model.manifest;
  const maxLength = manifest.task === 'text-classification' ? manifest.text.maxLength : Infinity;
  if (!values.every((v) => typeof v === 'string' && v.length <= maxLength)) {
    throw bad(`input "${spec.name}": BYTES data must be strings of at most ${maxLength} characters`);
  }
  // The same preparation the predict route applies (lower-casing, NULs).
  const lowercase = manifest.task === 'text-classification' && manifest.text.lowercase;
  return new Tensor('string', (values as string[]).map((v) => prepareText(v, lowercase)), input.shape);
}

/** The shortest decimal that reads back as the same float32 (0.67, not 0.6700000166893005). */
function float32Json(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}

/** POST /v2/models/{name}[/versions/{version}]/infer on a loaded model. */
export async function infer(model: Model, body: unknown): Promise<Record<string, unknown>> {
  validateRequest ??= ajv.compile<InferenceRequest>(inferenceRequestSchema);
  if (!validateRequest(body)) {
    const first = validateRequest.errors?.[0];
    throw bad(`invalid inference request: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const { input: inputSpec, output: outputSpec } = model.manifest.onnx;
  const names = body.inputs.map((i) => i.name);
  const unknown = names.filter((n) => n !== inputSpec.name);
  if (unknown.length > 0) throw bad(`unknown input "${unknown[0]}"; the model takes "${inputSpec.name}"`);
  if (names.length > 1) throw bad(`input "${inputSpec.name}" is given ${names.length} times`);
  const requested = body.outputs?.map((o) => o.name) ?? [outputSpec.name];
  const missing = requested.find((n) => n !== outputSpec.name);
  if (missing !== undefined) throw bad(`unknown output "${missing}"; the model produces "${outputSpec.name}"`);

  const feeds: InferenceSession.FeedsType = { [inputSpec.name]: toTensor(model, inputSpec, body.inputs[0]!) };
  const results = await model.run(feeds);
  const outputs = [...new Set(requested)].map((name) => {
    const tensor = results[name]!;
    return { name, datatype: DATATYPE[outputSpec.type], shape: [...tensor.dims], data: Array.from(tensor.data as Float32Array, float32Json) };
  });
  return {
    model_name: model.info.name,
    model_version: model.info.version,
    ...(body.id !== undefined ? { id: body.id } : {}),
    outputs,
  };
}

/** Model ready: the version loads and passes its checks. */
export async function modelReady(name: string, version?: string): Promise<{ name: string; ready: boolean }> {
  const state = await modelState(name, version);
  return { name, ready: state.ready };
}

/**
 * Server ready: every deployed model's newest version is ready. The spec
 * names the field of this object "live"; "ready" is added beside it because
 * that is what KServe's servers and its OpenAPI document return.
 */
export async function serverReady(): Promise<{ live: boolean; ready: boolean }> {
  const states = await Promise.all(listModels().map((m) => modelState(m.name)));
  const ready = states.every((s) => s.ready);
  return { live: ready, ready };
}
