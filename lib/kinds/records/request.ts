import type { ErrorObject, ValidateFunction } from 'ajv';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from '../../errors';
import { pointer } from '../../json-pointer';
import { settings } from '../../settings';

/** A record that passed validation: every field present with the right type. */
export type FeatureRecord = Readonly<Record<string, unknown>>;

/** How a record kind reads fields: numeric ones also accept numeric text. */
export type FieldKinds = ReadonlyMap<string, 'numeric' | 'text' | 'other'>;

export interface RecordsRequest {
  /** A bare record was sent (answer with one prediction), not {"instances": [...]}. */
  single: boolean;
  records: FeatureRecord[];
  /** Problems that did not stop the request, e.g. fields the model ignores. */
  warnings: ErrorDetail[];
}

/** At most this many problems are listed; a broken batch could yield thousands. */
const MAX_DETAILS = 20;
/** Most warnings one answer carries; a record with 100k unknown keys gets the first ones. */
export const MAX_WARNINGS = 100;

/**
 * A decimal number written as text, as the raw Telco CSV has them ("29.85").
 * Deliberately narrower than Number(): no blanks (Number(" ") is 0), no hex,
 * no "Infinity", no thousands separators.
 */
const NUMERIC_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The record needs no change: every key known, no numeric field sent as text. */
function alreadyClean(fields: FieldKinds, record: Record<string, unknown>): boolean {
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const kind = fields.get(key);
    if (kind === undefined || (kind === 'numeric' && typeof record[key] === 'string')) return false;
  }
  return true;
}

/**
 * One record as the model reads it: numeric text converted to numbers (the
 * schema then checks the result), fields the model does not know dropped and
 * reported. A clean record, the common case, is used as it is: copying it
 * showed as a tenth of a warm call in the profile.
 */
function prepareRecord(fields: FieldKinds, record: unknown, at: (string | number)[], warnings: ErrorDetail[]): unknown {
  if (!isPlainObject(record) || alreadyClean(fields, record)) return record;
  const prepared: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const kind = fields.get(key);
    if (kind === undefined) {
      if (warnings.length < MAX_WARNINGS) warnings.push({ path: pointer(...at, key), problem: 'unknown field, ignored' });
      continue;
    }
    const value = record[key];
    prepared[key] = kind === 'numeric' && typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : value;
  }
  return prepared;
}

/**
 * Reads a parsed body as either one record or {"instances": [records]} and
 * validates every record against the model's record schema. Oversized
 * batches are refused before any record is looked at.
 */
export function parseRecords(body: unknown, fields: FieldKinds, validate: ValidateFunction, modelName: string): RecordsRequest {
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
  const limit = settings.maxBatch();
  if (instances.length > limit) {
    throw new PayloadTooLarge(`"instances" holds ${instances.length} records; at most ${limit} are accepted per request`);
  }

  const warnings: ErrorDetail[] = [];
  if (!single) {
    for (const key of Object.keys(body)) {
      if (key !== 'instances' && warnings.length < MAX_WARNINGS) warnings.push({ path: pointer(key), problem: 'unknown field, ignored' });
    }
  }
  const details: ErrorDetail[] = [];
  const records = instances.map((record: unknown, index) => {
    const at = single ? [] : ['instances', index];
    const prepared = prepareRecord(fields, record, at, warnings);
    if (details.length < MAX_DETAILS && !validate(prepared)) {
      for (const error of validate.errors ?? []) details.push(toDetail(error, pointer(...at)));
    }
    return prepared as FeatureRecord;
  });
  if (details.length > 0) {
    const shown = details.slice(0, MAX_DETAILS);
    const more = details.length > shown.length ? ` (first ${MAX_DETAILS} shown)` : '';
    throw new ValidationFailed(`request does not match the ${modelName} model's input${more}`, shown);
  }
  return { single, records, warnings };
}

/** Where a record of the request sits, as a JSON pointer ("" for a single record). */
export function recordPointer(single: boolean, index: number, field?: string): string {
  const at: (string | number)[] = single ? [] : ['instances', index];
  return pointer(...at, ...(field === undefined ? [] : [field]));
}
