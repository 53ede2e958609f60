import Ajv from 'ajv';
import { ModelLoadError } from './errors';

/**
 * The manifest (model.json) describes a model folder: what the ONNX graph
 * takes and returns, and how a JSON record becomes its input tensor.
 * models/churn/train.py writes it; this module is the only reader.
 */

export interface NumericFeature {
  name: string;
  type: 'numeric';
  integer?: boolean;
  minimum?: number;
  maximum?: number;
}

export interface CategoricalFeature {
  name: string;
  type: 'categorical';
  /** Known values, in column order: each value is one one-hot column. */
  values: string[];
}

export type Feature = NumericFeature | CategoricalFeature;

export interface TensorSpec {
  name: string;
  type: 'float32';
  shape: (number | null)[];
}

export interface Manifest {
  name: string;
  version: string;
  description: string;
  created: string;
  task: 'binary-classification';
  file: string;
  sha256: string;
  onnx: { input: TensorSpec; output: TensorSpec };
  /** In column order; see columnNames(). */
  features: Feature[];
  /** DictVectorizer's feature names, one per input column. */
  columns: string[];
  output: { label: string; probability: string; threshold: number };
  training: Record<string, unknown>;
}

/** What a version may look like; it is also a folder name under models/<name>/. */
export const VERSION_PATTERN = '^[0-9A-Za-z][0-9A-Za-z._-]*$';

const tensorSpec = {
  type: 'object',
  required: ['name', 'type', 'shape'],
  properties: {
    name: { type: 'string', minLength: 1 },
    type: { const: 'float32' },
    shape: { type: 'array', items: { type: ['integer', 'null'] } },
  },
};

const manifestSchema = {
  type: 'object',
  required: ['name', 'version', 'created', 'task', 'file', 'sha256', 'onnx', 'features', 'columns', 'output'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    version: { type: 'string', pattern: VERSION_PATTERN },
    description: { type: 'string' },
    created: { type: 'string' },
    task: { const: 'binary-classification' },
    // A bare file name: the manifest must not point outside its own folder.
    file: { type: 'string', pattern: '^[A-Za-z0-9_.-]+\\.onnx$' },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    onnx: {
      type: 'object',
      required: ['input', 'output'],
      properties: { input: tensorSpec, output: tensorSpec },
    },
    features: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'type'],
        properties: {
          name: { type: 'string', minLength: 1 },
          type: { enum: ['numeric', 'categorical'] },
          integer: { type: 'boolean' },
          minimum: { type: 'number' },
          maximum: { type: 'number' },
          values: { type: 'array', minItems: 1, items: { type: 'string' }, uniqueItems: true },
        },
        if: { properties: { type: { const: 'categorical' } } },
        then: { required: ['values'] },
      },
    },
    columns: { type: 'array', items: { type: 'string' } },
    output: {
      type: 'object',
      required: ['label', 'probability', 'threshold'],
      properties: {
        label: { type: 'string', minLength: 1 },
        probability: { type: 'string', minLength: 1 },
        threshold: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    training: { type: 'object' },
  },
} as const;

const validateManifest = new Ajv({ allErrors: true, strict: false }).compile<Manifest>(manifestSchema);

/** The one-hot column names the features expand to, DictVectorizer style. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => (f.type === 'numeric' ? [f.name] : f.values.map((v) => `${f.name}=${v}`)));
}

/** Parses model.json and checks it is internally consistent. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelLoadError('model.json is not valid JSON');
  }
  if (!validateManifest(raw)) {
    const first = validateManifest.errors?.[0];
    throw new ModelLoadError(`model.json is invalid: ${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const manifest = raw;
  const columns = columnNames(manifest.features);
  if (columns.join('\n') !== manifest.columns.join('\n')) {
    throw new ModelLoadError('model.json is invalid: features do not expand to the listed columns');
  }
  const width = manifest.onnx.input.shape[1];
  if (manifest.onnx.input.shape.length !== 2 || width !== columns.length) {
    throw new ModelLoadError(
      `model.json is invalid: input shape [${manifest.onnx.input.shape.join(', ')}] does not match ${columns.length} columns`,
    );
  }
  return manifest;
}
