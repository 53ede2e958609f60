import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { tensorSpecSchema, type TensorSpec } from '../tensors/spec';

export type { TensorSpec } from '../tensors/spec';

/**
 * What every manifest (model.json) holds, whatever its kind. `npm run
 * model:add` writes it (the bundled models' train.py scripts too); nobody
 * writes one by hand. README, "The manifest", documents each field.
 *
 * Each type is derived from its schema (json-schema-to-ts's FromSchema, on
 * schemas written `as const`), so the two cannot drift apart; the schemas
 * stay plain object literals, with no code to run at a cold start.
 */

/** What a version may look like; it is also a folder name under models/<name>/. */
export const VERSION_PATTERN = '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$';
/** What a model name may look like; it is also a folder and a URL segment. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

const toleranceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['absolute', 'relative'],
  properties: { absolute: { type: 'number', minimum: 0 }, relative: { type: 'number', minimum: 0 } },
} as const satisfies JSONSchema;
export type Tolerance = FromSchema<typeof toleranceSchema>;

/**
 * A known input and the answer the model gave it when it was added: a
 * request body as POST /models/{name}/predict takes it, or, for tensor
 * models, a seed and shapes from which that body is generated (so the
 * manifest stays small). `answer` is what the kind's golden view keeps of
 * the answer: labels and thresholds included, not only raw numbers.
 */
const goldenCaseSchema = {
  type: 'object',
  required: ['answer'],
  properties: {
    request: {},
    // A request that is not JSON: its media type, and the companion file (the manifest's files) that holds its bytes.
    content_type: { type: 'string', pattern: '^[a-z]+/[a-z0-9.+-]+$' },
    file: { type: 'string' },
    seed: { type: 'integer', minimum: 0 },
    shapes: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer', minimum: 0 } } },
    answer: {},
  },
  // Either a request body, or a seed and shapes to generate one from.
  anyOf: [
    { required: ['request'], properties: { request: {} } },
    { required: ['seed', 'shapes'], properties: { seed: {}, shapes: {} } },
    { required: ['content_type', 'file'], properties: { content_type: {}, file: {} } },
  ],
} as const satisfies JSONSchema;
export type GoldenCase = FromSchema<typeof goldenCaseSchema>;

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
      tolerance: toleranceSchema,
      cases: { type: 'array', minItems: 1, items: goldenCaseSchema },
    },
  },
  training: { type: 'object' },
  /**
   * The version folder's other files a kind reads (labels.txt,
   * tokenizer.json, config.json), by bare name, each with its sha256:
   * verified when the model loads, as the ONNX file is, and shipped in the
   * package with it.
   */
  /**
   * Input fields never captured for monitoring, personal data above all:
   * `{"email": false}` (model:add --no-capture email). README, "Monitoring".
   */
  capture: {
    type: 'object',
    propertyNames: { minLength: 1 },
    additionalProperties: { const: false },
  },
  files: {
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$' },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256'],
      properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
    },
  },
} as const satisfies Record<string, JSONSchema>;

export const baseRequired = ['name', 'version', 'kind', 'file', 'sha256', 'onnx', 'golden'] as const;

/** A kind's own manifest fields (ModelKind.manifestFields), written `as const`. */
export interface KindFields {
  readonly properties: Readonly<Record<string, JSONSchema>>;
  readonly required: readonly string[];
}

/** The schema joinManifestSchema() builds, as a type: the shared fields (`kind` its const) and the kind's own, required ones in order. */
type JoinedSchema<K extends string, F extends KindFields> = {
  readonly type: 'object';
  readonly required: readonly [...typeof baseRequired, ...F['required']];
  readonly properties: Omit<typeof baseProperties, 'kind' | keyof F['properties']> & F['properties'] & { readonly kind: { readonly const: K } };
};

/**
 * The JSON schema of a whole manifest of one kind: the shared fields plus
 * the kind's own, with `kind` its name (parse-manifest.ts's manifestSchema()
 * returns it). Typed exactly, so that KindManifest derives each kind's
 * manifest type from the very schema Ajv checks.
 */
export function joinManifestSchema<K extends string, F extends KindFields>(kind: K, own: F): JoinedSchema<K, F> {
  // TypeScript types a spread of the generic F as F's constraint: the type above says what it holds.
  const schema = { type: 'object', required: [...baseRequired, ...own.required], properties: { ...baseProperties, ...own.properties, kind: { const: kind } } };
  return schema as unknown as JoinedSchema<K, F>;
}

/** The fields every manifest has, whatever its kind. */
export type ManifestBase = FromSchema<{ type: 'object'; required: typeof baseRequired; properties: typeof baseProperties }>;
/** A manifest of kind K with the kind's own fields F. */
export type KindManifest<K extends string, F extends KindFields> = FromSchema<JoinedSchema<K, F>, { parseIfThenElseKeywords: true }>;

/** A version's other files (the manifest's `files`: labels, tokenizer, config) by name, each read and checked against its sha256 (lib/model/model-files.ts). */
export type CompanionFiles = ReadonlyMap<string, Buffer>;

/** A spec by name (the kinds look their tensors up by the names their fields give). */
export function specNamed(specs: readonly TensorSpec[], name: string): TensorSpec | undefined {
  return specs.find((s) => s.name === name);
}
