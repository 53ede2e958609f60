import * as Type from '@sinclair/typebox';
import { AnyObject, Dictionary, StringEnum } from '../json-schema';
import { DATATYPE_NAMES } from '../tensors/datatypes';

/**
 * What every manifest (model.json) holds, whatever its kind. `npm run
 * model:add` writes it (the bundled models' train.py scripts too); nobody
 * writes one by hand. README, "The manifest", documents each field. Each
 * type here is derived from the schema that checks it (lib/json-schema.ts).
 */

/** What a version may look like; it is also a folder name under models/<name>/. */
export const VERSION_PATTERN = '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$';
/** What a model name may look like; it is also a folder and a URL segment. */
export const NAME_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

const SHA256_PATTERN = '^[0-9a-f]{64}$';

/** One graph input or output, as a manifest declares it: its name, protocol datatype and shape (dynamic dimensions as names or null, lib/tensors/shape.ts). */
const tensorSpecSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    datatype: StringEnum(DATATYPE_NAMES),
    shape: Type.Array(Type.Union([Type.Integer({ minimum: 0 }), Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);
export type TensorSpec = Type.Static<typeof tensorSpecSchema>;

/**
 * A known input and the answer the model gave it when it was added: a
 * request body as POST /models/{name}/predict takes it, or, for tensor
 * models, a seed and shapes from which that body is generated (so the
 * manifest stays small). `answer` is what the kind's golden view keeps of
 * the answer: labels and thresholds included, not only raw numbers.
 */
const goldenCaseSchema = Type.Object(
  {
    request: Type.Optional(Type.Unknown()),
    seed: Type.Optional(Type.Integer({ minimum: 0 })),
    shapes: Type.Optional(Dictionary(Type.Array(Type.Integer({ minimum: 0 })))),
    answer: Type.Unknown(),
  },
  {
    // Either a request body, or a seed and shapes to generate one from.
    anyOf: [
      { required: ['request'], properties: { request: {} } },
      { required: ['seed', 'shapes'], properties: { seed: {}, shapes: {} } },
    ],
  },
);
export type GoldenCase = Type.Static<typeof goldenCaseSchema>;

const toleranceSchema = Type.Object({ absolute: Type.Number({ minimum: 0 }), relative: Type.Number({ minimum: 0 }) }, { additionalProperties: false });
export type Tolerance = Type.Static<typeof toleranceSchema>;

/** The fields every kind shares; each kind's manifest schema (kindManifestSchema) adds its own. */
const manifestBaseSchema = Type.Object({
  name: Type.String({ pattern: NAME_PATTERN }),
  version: Type.String({ pattern: VERSION_PATTERN }),
  description: Type.Optional(Type.String()),
  created: Type.Optional(Type.String()),
  kind: Type.String(),
  /** Why model:add chose this kind. */
  kind_reason: Type.Optional(Type.String()),
  // A bare file name: the manifest must not point outside its own folder.
  file: Type.String({ pattern: '^[A-Za-z0-9_.-]+\\.onnx$' }),
  sha256: Type.String({ pattern: SHA256_PATTERN }),
  /** Set when the served file is a rewrite of the one the user brought (e.g. ZipMap removed). */
  source: Type.Optional(Type.Object({ sha256: Type.String({ pattern: SHA256_PATTERN }), rewritten: Type.String() })),
  onnx: Type.Object(
    { inputs: Type.Array(tensorSpecSchema, { minItems: 1 }), outputs: Type.Array(tensorSpecSchema, { minItems: 1 }) },
    { additionalProperties: false },
  ),
  golden: Type.Object({ tolerance: toleranceSchema, cases: Type.Array(goldenCaseSchema, { minItems: 1 }) }, { additionalProperties: false }),
  training: Type.Optional(AnyObject()),
});
export type ManifestBase = Type.Static<typeof manifestBaseSchema>;

/** The JSON schema of the fields every kind shares. */
export const baseProperties = manifestBaseSchema.properties;

/**
 * The JSON schema of a whole manifest of one kind: the shared fields, then
 * the kind's own, with `kind` its name (as `const`; parseManifest() has
 * checked it is a kind's before). The kind's manifest type is its Static.
 */
export function kindManifestSchema<K extends string, Fields extends Type.TProperties>(kind: K, fields: Fields) {
  // `kind` keeps its place among the shared fields: the required list and parseManifest()'s list of fields are in this order.
  return Type.Object({ ...baseProperties, ...fields, kind: Type.Unsafe<K>({ const: kind }) });
}

/** A spec by name (the kinds look their tensors up by the names their fields give). */
export function specNamed(specs: readonly TensorSpec[], name: string): TensorSpec | undefined {
  return specs.find((s) => s.name === name);
}
