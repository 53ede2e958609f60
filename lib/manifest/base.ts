import { DATATYPE_NAMES } from '../tensors/datatypes';
import type { TensorSpec } from '../tensors/spec';

/**
 * What every manifest (model.json) holds, whatever its kind. `npm run
 * model:add` writes it (the bundled models' train.py scripts too); nobody
 * writes one by hand. README, "The manifest", documents each field.
 */

export type { TensorSpec } from '../tensors/spec';

/**
 * A known input and the answer the model gave it when it was added: a
 * request body as POST /models/{name}/predict takes it, or, for tensor
 * models, a seed and shapes from which that body is generated (so the
 * manifest stays small). `answer` is what the kind's golden view keeps of
 * the answer: labels and thresholds included, not only raw numbers.
 */
export interface GoldenCase {
  request?: unknown;
  seed?: number;
  shapes?: Record<string, number[]>;
  answer: unknown;
}

export interface Tolerance {
  absolute: number;
  relative: number;
}

export interface ManifestBase {
  name: string;
  version: string;
  description: string;
  created: string;
  kind: string;
  /** Why model:add chose this kind. */
  kind_reason?: string;
  file: string;
  sha256: string;
  /** Set when the served file is a rewrite of the one the user brought (e.g. ZipMap removed). */
  source?: { sha256: string; rewritten: string };
  onnx: { inputs: TensorSpec[]; outputs: TensorSpec[] };
  golden: { tolerance: Tolerance; cases: GoldenCase[] };
  training?: Record<string, unknown>;
}

/** What a version may look like; it is also a folder name under models/<name>/. */
export const VERSION_PATTERN = '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$';
/** What a model name may look like; it is also a folder and a URL segment. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

const tensorSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'datatype', 'shape'],
  properties: {
    name: { type: 'string', minLength: 1 },
    datatype: { enum: DATATYPE_NAMES },
    shape: { type: 'array', items: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string' }, { type: 'null' }] } },
  },
};

/** The JSON schema of the fields every kind shares. */
export const baseProperties = {
  name: { type: 'string', pattern: NAME_PATTERN },
  version: { type: 'string', pattern: VERSION_PATTERN },
  description: { type: 'string' },
  created: { type: 'string' },
  kind: { type: 'string' },
  kind_reason: { type: 'string' },
  // A bare file name: the manifest must not point outside its own folder.
  file: { type: 'string', pattern: '^[A-Za-z0-9_.-]+\\.onnx$' },
  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  source: {
    type: 'object',
    required: ['sha256', 'rewritten'],
    properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' }, rewritten: { type: 'string' } },
  },
  onnx: {
    type: 'object',
    additionalProperties: false,
    required: ['inputs', 'outputs'],
    properties: {
      inputs: { type: 'array', minItems: 1, items: tensorSpecSchema },
      outputs: { type: 'array', minItems: 1, items: tensorSpecSchema },
    },
  },
  golden: {
    type: 'object',
    additionalProperties: false,
    required: ['tolerance', 'cases'],
    properties: {
      tolerance: {
        type: 'object',
        additionalProperties: false,
        required: ['absolute', 'relative'],
        properties: { absolute: { type: 'number', minimum: 0 }, relative: { type: 'number', minimum: 0 } },
      },
      cases: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['answer'],
          properties: {
            request: {},
            seed: { type: 'integer', minimum: 0 },
            shapes: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer', minimum: 0 } } },
            answer: {},
          },
          // Either a request body, or a seed and shapes to generate one from.
          anyOf: [
            { required: ['request'], properties: { request: {} } },
            { required: ['seed', 'shapes'], properties: { seed: {}, shapes: {} } },
          ],
        },
      },
    },
  },
  training: { type: 'object' },
} as const;

export const baseRequired = ['name', 'version', 'kind', 'file', 'sha256', 'onnx', 'golden'] as const;

/** A spec by name (the kinds look their tensors up by the names their fields give). */
export function specNamed(specs: readonly TensorSpec[], name: string): TensorSpec | undefined {
  return specs.find((s) => s.name === name);
}
