import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FeatureRecord } from './encoding';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from './errors';
import { pointer } from './json-pointer';
import type { Feature, Manifest } from './manifest';

export interface PredictRequest {
  /** A bare record was sent (answer with one prediction), not {"instances": [...]}. */
  single: boolean;
  records: FeatureRecord[];
  /** Problems that did not stop the request, e.g. fields the model ignores. */
  warnings: ErrorDetail[];
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
 * A decimal number written as text, as the raw Telco CSV has them ("29.85").
 * Deliberately narrower than Number(): no blanks (Number(" ") is 0), no hex,
 * no "Infinity", no thousands separators.
 */
const NUMERIC_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Most warnings one answer carries; a record with 100k unknown keys gets the first ones. */
export const MAX_WARNINGS = 100;

/**
 * One record as the model reads it: numeric text converted to numbers (the
 * schema then checks the result), fields the model does not know dropped and
 * reported.
 */
function prepareRecord(manifest: Manifest, record: unknown, at: (string | number)[], warnings: ErrorDetail[]): unknown {
  if (!isPlainObject(record)) return record;
  const known = knownFeatures(manifest);
  const prepared: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const feature = known.get(key);
    if (feature === undefined) {
      if (warnings.length < MAX_WARNINGS) warnings.push({ path: pointer(...at, key), problem: 'unknown field, ignored' });
      continue;
    }
    const value = record[key];
    prepared[key] = feature.type === 'numeric' && typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : value;
  }
  return prepared;
}

const featureMaps = new WeakMap<Manifest, ReadonlyMap<string, Feature>>();

function knownFeatures(manifest: Manifest): ReadonlyMap<string, Feature> {
  let map = featureMaps.get(manifest);
  if (!map) {
    map = new Map(manifest.features.map((f) => [f.name, f]));
    featureMaps.set(manifest, map);
  }
  return map;
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

  const warnings: ErrorDetail[] = [];
  if (!single) {
    for (const key of Object.keys(body)) {
      if (key !== 'instances') warnings.push({ path: pointer(key), problem: 'unknown field, ignored' });
    }
  }
  const validate = validatorFor(manifest);
  const details: ErrorDetail[] = [];
  const records = instances.map((record: unknown, index) => {
    const at = single ? [] : ['instances', index];
    const prepared = prepareRecord(manifest, record, at, warnings);
    if (details.length < MAX_DETAILS && !validate(prepared)) {
      for (const error of validate.errors ?? []) details.push(toDetail(error, pointer(...at)));
    }
    return prepared as FeatureRecord;
  });
  if (details.length > 0) {
    const shown = details.slice(0, MAX_DETAILS);
    const more = details.length > shown.length ? ` (first ${MAX_DETAILS} shown)` : '';
    throw new ValidationFailed(`request does not match the ${manifest.name} model's input${more}`, shown);
  }
  return { single, records, warnings: warnings.slice(0, MAX_WARNINGS) };
}
