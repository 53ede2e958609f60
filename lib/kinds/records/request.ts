import { isPlainObject } from '../../plain-object';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { PayloadTooLarge, ValidationFailed, type ErrorDetail } from '../../errors';
import { pointer } from '../../json-pointer';
import { settings } from '../../settings';
import { shorten } from '../../shorten';
import type { RecordBatch, Warning } from '../kind';
import { isBlank, nameKey, type Preprocessing } from './preprocessing';

/** Where a request over MAX_BATCH records goes instead. */
const WHOLE_FILE = ' (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")';

/** A record that passed validation: every field present with the right type. */
export type FeatureRecord = Readonly<Record<string, unknown>>;

/** How a record kind reads a field: numeric and boolean ones also accept their text forms. */
export type FieldKind = 'numeric' | 'text' | 'boolean';
export type FieldKinds = ReadonlyMap<string, FieldKind>;

export interface RecordsRequest {
  batch: RecordBatch;
  records: FeatureRecord[];
  /** Problems that did not stop the request, e.g. fields the model ignores. */
  warnings: Warning[];
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
/** Booleans as text, as a CSV holds them (pandas writes True and False). */
const BOOLEAN_TEXT = /^(?:true|false)$/i;

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


/** The fields of a record kind and how a sent record is read into them: names, text forms, the manifest's preprocessing. */
export interface RecordReader {
  readonly fields: FieldKinds;
  /** The model's field a sent key stands for, or undefined: exact, else after the name rule and case-insensitively (when unambiguous). */
  field(key: string): string | undefined;
  /** A sent value as the field takes it (numeric and boolean text, missing numbers); the schema checks the result. */
  value(field: string, value: unknown): unknown;
  /** Whether `field` is one of the model's and value() gives `value` back as it is. */
  keeps(field: string, value: unknown): boolean;
}

export function recordReader(fields: FieldKinds, preprocessing: Preprocessing = {}): RecordReader {
  // text_values is applied by the kind's encoder, where values meet what training saw (./preprocessing.ts).
  const { field_names: nameRule, missing_numbers: missing = {} } = preprocessing;
  // Names that two fields share once normalized match neither: exact names still do.
  const byKey = new Map<string, string | null>();
  for (const name of fields.keys()) {
    const key = nameKey(nameRule, name);
    byKey.set(key, byKey.has(key) ? null : name);
  }
  const fill = (field: string): number | undefined => (Object.hasOwn(missing, field) ? missing[field] : undefined);
  // A sent value as the field takes it (RecordReader.value).
  const value = (field: string, value: unknown): unknown => {
    switch (fields.get(field)) {
      case 'numeric': {
        const filled = fill(field);
        if (filled !== undefined && isBlank(value)) return filled;
        return typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : value;
      }
      case 'boolean':
        return typeof value === 'string' && BOOLEAN_TEXT.test(value) ? value.toLowerCase() === 'true' : value;
      default:
        return value;
    }
  };
  return {
    fields,
    field: (key) => (fields.has(key) ? key : (byKey.get(nameKey(nameRule, key)) ?? undefined)),
    value,
    keeps(field, sent) {
      const kind = fields.get(field);
      if (kind === undefined) return false;
      // What value() gives back untouched without looking: anything for a text field, a number or a boolean for any
      // field (only text and null are read otherwise). Asked of every field of every record: a batch of 1,000 spent
      // a tenth of its time here (BENCHMARKS.md, "A batch of 1,000").
      if (kind === 'text' || typeof sent === 'number' || typeof sent === 'boolean') return true;
      return Object.is(value(field, sent), sent);
    },
  };
}

/**
 * The record needs no change: every key a field's exact name, every value one
 * the reader returns as it is (a record prepared from it would be equal).
 */
function alreadyClean(reader: RecordReader, record: Record<string, unknown>): boolean {
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (!reader.keeps(key, record[key])) return false;
  }
  return true;
}

/**
 * One record as the model reads it: keys resolved to the model's field
 * names, values through the reader (numeric text, preprocessing), fields the
 * model does not know dropped and reported. A clean record, the common case,
 * is used as it is: copying it showed as a tenth of a warm call in the
 * profile.
 */
function prepareRecord(reader: RecordReader, batch: RecordBatch, index: number, note: (w: Warning) => void, details: ErrorDetail[]): unknown {
  const record = batch.records[index];
  if (!isPlainObject(record) || alreadyClean(reader, record)) return record;
  const prepared: Record<string, unknown> = {};
  const sentAs = new Map<string, string>();
  for (const key of Object.keys(record)) {
    const field = reader.field(key);
    if (field === undefined) {
      note(batch.unknownField(index, key));
      continue;
    }
    const earlier = sentAs.get(field);
    if (earlier !== undefined) {
      details.push({ path: batch.at(index, field), problem: `is given twice, as "${shorten(earlier)}" and "${shorten(key)}"` });
      continue;
    }
    sentAs.set(field, key);
    prepared[field] = reader.value(field, record[key]);
  }
  return prepared;
}

/**
 * Validates a batch of records of any format against the model's record
 * schema: oversized batches are refused before any record is looked at.
 */
export function readRecords(batch: RecordBatch, reader: RecordReader, validate: ValidateFunction, modelName: string): RecordsRequest {
  const count = batch.records.length;
  if (count === 0) throw new ValidationFailed(`${batch.name} is empty`, [{ path: batch.where, problem: 'must hold at least one record' }]);
  const limit = settings.maxBatch();
  if (count > limit) throw new PayloadTooLarge(`${batch.name} holds ${count} records; at most ${limit} are accepted per request${WHOLE_FILE}`);

  const warnings: Warning[] = [];
  // A table reports an unknown column once, however many rows have it.
  const reported = new Set<string>();
  const note = (w: Warning) => {
    if (warnings.length >= MAX_WARNINGS || reported.has(w.path)) return;
    reported.add(w.path);
    warnings.push(w);
  };
  batch.warnings.forEach(note);
  const details: ErrorDetail[] = [];
  const records = batch.records.map((_, index) => {
    const prepared = prepareRecord(reader, batch, index, note, details);
    if (details.length < MAX_DETAILS && !validate(prepared)) {
      for (const error of validate.errors ?? []) details.push(toDetail(error, batch.at(index)));
    }
    return prepared as FeatureRecord;
  });
  if (details.length > 0) {
    const shown = details.slice(0, MAX_DETAILS);
    const more = details.length > shown.length ? ` (first ${MAX_DETAILS} shown)` : '';
    throw new ValidationFailed(`request does not match the ${modelName} model's input${more}`, shown);
  }
  return { batch, records, warnings };
}

/** Our own JSON: one record, or {"instances": [records]}; paths are JSON pointers into the body. */
export function jsonBatch(body: unknown): RecordBatch {
  if (!isPlainObject(body)) {
    throw new ValidationFailed('request body must be a JSON object', [{ path: '', problem: 'must be an object' }]);
  }
  const single = !Object.hasOwn(body, 'instances');
  const instances = single ? [body] : body.instances;
  if (!Array.isArray(instances)) {
    throw new ValidationFailed('"instances" must be an array of records', [{ path: '/instances', problem: 'must be an array' }]);
  }
  const at = (index: number, field?: string) => pointer(...(single ? [] : ['instances', index]), ...(field === undefined ? [] : [field]));
  return {
    records: instances,
    single,
    at,
    where: '/instances',
    name: '"instances"',
    unknownField: (index, key) => ({ path: at(index, key), problem: 'unknown field, ignored', record: index }),
    warnings: single ? [] : Object.keys(body).filter((k) => k !== 'instances').map((k) => ({ path: pointer(k), problem: 'unknown field, ignored' })),
    mediaType: 'application/json',
  };
}
