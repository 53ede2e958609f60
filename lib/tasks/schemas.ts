import type { ValidateFunction } from 'ajv';
import { ajv } from '../ajv';
import type { Feature, Manifest } from '../manifest';

/**
 * What a request record must look like, derived from the manifest alone (no
 * onnxruntime here: the metadata routes publish these too).
 */

function featureSchema(feature: Feature): Record<string, unknown> {
  if (feature.type === 'categorical') return { type: 'string', maxLength: 256 };
  const schema: Record<string, unknown> = { type: feature.integer ? 'integer' : 'number' };
  if (feature.minimum !== undefined) schema.minimum = feature.minimum;
  if (feature.maximum !== undefined) schema.maximum = feature.maximum;
  return schema;
}

/** The JSON schema of one record. */
export function recordSchema(manifest: Manifest): Record<string, unknown> {
  if (manifest.task === 'text-classification') {
    const { field, maxLength } = manifest.text;
    return { type: 'object', required: [field], properties: { [field]: { type: 'string', maxLength } } };
  }
  return {
    type: 'object',
    required: manifest.features.map((f) => f.name),
    properties: Object.fromEntries(manifest.features.map((f) => [f.name, featureSchema(f)])),
  };
}

/** The fields a record may carry; numeric ones also accept numeric text. */
export function recordFields(manifest: Manifest): ReadonlyMap<string, 'numeric' | 'text'> {
  if (manifest.task === 'text-classification') return new Map([[manifest.text.field, 'text']]);
  return new Map(manifest.features.map((f) => [f.name, f.type === 'numeric' ? 'numeric' : 'text'] as const));
}

/**
 * The compiled validator of one record. Compiling takes milliseconds, so it
 * happens once, when the model loads (Lambda's init), not on the first call.
 */
export function recordValidator(manifest: Manifest): ValidateFunction {
  return ajv.compile(recordSchema(manifest));
}
