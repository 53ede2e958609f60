import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FeatureRecord } from './encoding';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from './errors';
import type { Feature, Manifest } from './manifest';

export interface PredictRequest {
  /** A bare record was sent (answer with one prediction), not {"instances": [...]}. */
  single: boolean;
  records: FeatureRecord[];
}

/** Most records one request may carry; MAX_BATCH overrides. */
export function maxBatch(): number {
  const configured = Number(process.env.MAX_BATCH);
  return Number.isInteger(configured) && configured > 0 ? configured : 1000;
}

/** At most this many problems are listed; a broken batch could yield thousands. */
const MAX_DETAILS = 20;

function featureSchema(feature: Feature): object {
  if (feature.type === 'categorical') return { type: 'string', maxLength: 256 };
  const schema: Record<string, unknown> = { type: feature.integer ? 'integer' : 'number' };
  if (feature.minimum !== undefined) schema.minimum = feature.minimum;
  if (feature.maximum !== undefined) schema.maximum = feature.maximum;
  return schema;
}

/** The JSON schema of one record, derived from the manifest, never written per model. */
export function recordSchema(manifest: Manifest): object {
  return {
    type: 'object',
    required: manifest.features.map((f) => f.name),
    properties: Object.fromEntries(manifest.features.map((f) => [f.name, featureSchema(f)])),
  };
}

// strictNumbers rejects NaN/Infinity (JSON.parse turns 1e999 into Infinity).
const ajv = new Ajv({ allErrors: true, strict: true, strictNumbers: true });
const validators = new WeakMap<Manifest, ValidateFunction>();

function validatorFor(manifest: Manifest): ValidateFunction {
  let validate = validators.get(manifest);
  if (!validate) {
    validate = ajv.compile(recordSchema(manifest));
    validators.set(manifest, validate);
  }
  return validate;
}

function toDetail(error: ErrorObject, prefix: string): ErrorDetail {
  const at = prefix + error.instancePath;
  switch (error.keyword) {
    case 'required':
      return { path: `${at}/${String(error.params.missingProperty)}`, problem: 'is required' };
    case 'type':
      return { path: at, problem: `must be ${String(error.params.type)}` };
    default:
      return { path: at, problem: error.message ?? 'is invalid' };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a parsed body as either one record or {"instances": [records]} and
 * validates every record against the model's manifest. Oversized batches are
 * refused before any record is looked at.
 */
export function parsePredictRequest(manifest: Manifest, body: unknown): PredictRequest {
  if (!isPlainObject(body)) {
    throw new ValidationFailed('request body must be a JSON object', [{ path: '', problem: 'must be an object' }]);
  }
  const single = !Object.hasOwn(body, 'instances');
  const instances = single ? [body] : body.instances;
  if (!Array.isArray(instances)) {
    throw new ValidationFailed('"instances" must be an array of records', [{ path: '/instances', problem: 'must be an array' }]);
  }
  if (instances.length === 0) {
    throw new ValidationFailed('"instances" is empty', [{ path: '/instances', problem: 'must hold at least one record' }]);
  }
  const limit = maxBatch();
  if (instances.length > limit) {
    throw new PayloadTooLarge(`"instances" holds ${instances.length} records; at most ${limit} are accepted per request`);
  }

  const validate = validatorFor(manifest);
  const details: ErrorDetail[] = [];
  instances.forEach((record, index) => {
    if (details.length >= MAX_DETAILS || validate(record)) return;
    const prefix = single ? '' : `/instances/${index}`;
    for (const error of validate.errors ?? []) details.push(toDetail(error, prefix));
  });
  if (details.length > 0) {
    const shown = details.slice(0, MAX_DETAILS);
    const more = details.length > shown.length ? ` (first ${MAX_DETAILS} shown)` : '';
    throw new ValidationFailed(`request does not match the ${manifest.name} model's input${more}`, shown);
  }
  return { single, records: instances as FeatureRecord[] };
}
