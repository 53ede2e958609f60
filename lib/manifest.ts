import type { ValidateFunction } from 'ajv';
import { ajv } from './ajv';
import { ModelLoadError } from './errors';

/**
 * The manifest (model.json) describes a model folder: what the ONNX graph
 * takes and returns, and how a JSON record becomes its input tensor. Each
 * model's train.py writes it; this module is the only reader. Two tasks:
 * binary classification of tabular records (one-hot + numeric columns) and
 * text classification (a string tensor, classes in `labels` order).
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
  type: 'float32' | 'string';
  /** null is a free (batch) dimension. */
  shape: (number | null)[];
}

interface ManifestBase {
  name: string;
  version: string;
  description: string;
  created: string;
  file: string;
  sha256: string;
  onnx: { input: TensorSpec; output: TensorSpec };
  training: Record<string, unknown>;
}

export interface BinaryClassificationManifest extends ManifestBase {
  task: 'binary-classification';
  /** In column order; see columnNames(). */
  features: Feature[];
  /** DictVectorizer's feature names, one per input column. */
  columns: string[];
  output: { label: string; probability: string; threshold: number };
}

export interface TextClassificationManifest extends ManifestBase {
  task: 'text-classification';
  /** The request field holding the text; the graph expects it lower-cased. */
  text: { field: string; lowercase: boolean; maxLength: number };
  /** Class names in the column order of the output tensor. */
  labels: string[];
  output: { label: string; probabilities: string };
}

export type Manifest = BinaryClassificationManifest | TextClassificationManifest;

/** What a version may look like; it is also a folder name under models/<name>/. */
export const VERSION_PATTERN = '^[0-9A-Za-z][0-9A-Za-z._-]*$';
/** What a model name may look like; it is also a folder and a URL segment. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]*$';

const tensorSpec = (type: TensorSpec['type']) => ({
  type: 'object',
  required: ['name', 'type', 'shape'],
  properties: {
    name: { type: 'string', minLength: 1 },
    type: { const: type },
    shape: { type: 'array', minItems: 1, items: { type: ['integer', 'null'] } },
  },
});

const common = {
  name: { type: 'string', pattern: NAME_PATTERN },
  version: { type: 'string', pattern: VERSION_PATTERN },
  description: { type: 'string' },
  created: { type: 'string' },
  // A bare file name: the manifest must not point outside its own folder.
  file: { type: 'string', pattern: '^[A-Za-z0-9_.-]+\\.onnx$' },
  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  training: { type: 'object' },
};
const commonRequired = ['name', 'version', 'created', 'task', 'file', 'sha256', 'onnx', 'output'];

const binarySchema = {
  type: 'object',
  required: [...commonRequired, 'features', 'columns'],
  properties: {
    ...common,
    task: { const: 'binary-classification' },
    onnx: { type: 'object', required: ['input', 'output'], properties: { input: tensorSpec('float32'), output: tensorSpec('float32') } },
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
        then: { required: ['values'], properties: { values: { type: 'array' } } },
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
  },
};

const textSchema = {
  type: 'object',
  required: [...commonRequired, 'text', 'labels'],
  properties: {
    ...common,
    task: { const: 'text-classification' },
    onnx: { type: 'object', required: ['input', 'output'], properties: { input: tensorSpec('string'), output: tensorSpec('float32') } },
    text: {
      type: 'object',
      required: ['field', 'lowercase', 'maxLength'],
      properties: { field: { type: 'string', minLength: 1 }, lowercase: { type: 'boolean' }, maxLength: { type: 'integer', minimum: 1 } },
    },
    labels: { type: 'array', minItems: 2, items: { type: 'string', minLength: 1 }, uniqueItems: true },
    output: {
      type: 'object',
      required: ['label', 'probabilities'],
      properties: { label: { type: 'string', minLength: 1 }, probabilities: { type: 'string', minLength: 1 } },
    },
  },
};

export const manifestSchemas = { 'binary-classification': binarySchema, 'text-classification': textSchema } as const;
type Task = keyof typeof manifestSchemas;

// Compiled on first use: a container loads one or two kinds of model.
const validators = new Map<Task, ValidateFunction>();
function validatorFor(task: Task): ValidateFunction {
  let validate = validators.get(task);
  if (!validate) {
    validate = ajv.compile(manifestSchemas[task]);
    validators.set(task, validate);
  }
  return validate;
}

/** The one-hot column names the features expand to, DictVectorizer style. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => (f.type === 'numeric' ? [f.name] : f.values.map((v) => `${f.name}=${v}`)));
}

function invalid(reason: string): ModelLoadError {
  return new ModelLoadError(`model.json is invalid: ${reason}`);
}

/** A shape as messages print it, e.g. [null, 45] or the graph's own [N, 45]. */
export function shapeText(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

function checkBinary(manifest: BinaryClassificationManifest): void {
  const columns = columnNames(manifest.features);
  if (columns.join('\n') !== manifest.columns.join('\n')) throw invalid('features do not expand to the listed columns');
  const { input, output } = manifest.onnx;
  if (input.shape.length !== 2 || input.shape[1] !== columns.length) {
    throw invalid(`input shape ${shapeText(input.shape)} does not match ${columns.length} columns`);
  }
  if (output.shape.length !== 2 || output.shape[1] !== 1) throw invalid(`output shape ${shapeText(output.shape)} is not [null, 1]`);
}

function checkText(manifest: TextClassificationManifest): void {
  const { input, output } = manifest.onnx;
  if (input.shape.length !== 1) throw invalid(`input shape ${shapeText(input.shape)} is not [null]`);
  if (output.shape.length !== 2 || output.shape[1] !== manifest.labels.length) {
    throw invalid(`output shape ${shapeText(output.shape)} does not match ${manifest.labels.length} labels`);
  }
}

/** Parses model.json and checks it is internally consistent. */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelLoadError('model.json is not valid JSON');
  }
  const task = (raw as { task?: unknown } | null)?.task;
  const validate = validatorFor(task === 'text-classification' ? 'text-classification' : 'binary-classification');
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    throw invalid(`${first?.instancePath || '/'} ${first?.message ?? ''}`.trim());
  }
  const manifest = raw as Manifest;
  if (manifest.task === 'binary-classification') checkBinary(manifest);
  else checkText(manifest);
  return manifest;
}
