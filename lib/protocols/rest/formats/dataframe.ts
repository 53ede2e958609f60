import type { ValidateFunction } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { compileSchema } from '../../../ajv';
import { ValidationFailed } from '../../../errors';
import { pointer } from '../../../json-pointer';
import type { RecordBatch, Warning } from '../../../kinds/kind';
import { columnsTable, recordsTable } from './table';

/**
 * DataFrames sent as JSON: pandas' df.to_json(orient="split") and MLflow's
 * scoring-server bodies {"dataframe_split": ...} and {"dataframe_records": [...]}.
 * Their schemas are what the OpenAPI document shows and what the body is
 * checked against here: one source.
 */

/*
 * Cells are not constrained here: the model's record schema checks each
 * value and names it by row and field ("/rows/3/tenure"), which says more
 * than a schema of any scalar could. pandas writes NaN and None as null.
 */

const split = {
  type: 'object',
  required: ['columns', 'data'],
  properties: {
    columns: {
      type: 'array',
      items: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      description: "column names: the model's fields, matched case-insensitively; other columns are ignored with a warning",
    },
    index: { type: 'array', description: 'row labels, as pandas writes them; not used: answers come in the order of data' },
    data: { type: 'array', items: { type: 'array' }, description: 'one array of values per row, in the order of columns' },
  },
} as const satisfies JSONSchema;

export const pandasSplitSchema = split;
export const mlflowSplitSchema = { type: 'object', required: ['dataframe_split'], properties: { dataframe_split: split } } as const satisfies JSONSchema;
export const mlflowRecordsSchema = {
  type: 'object',
  required: ['dataframe_records'],
  properties: {
    dataframe_records: {
      type: 'array',
      items: { type: 'object' },
      description: "one object per row, by column name (df.to_dict(orient=\"records\")); names match the model's fields case-insensitively",
    },
  },
} as const satisfies JSONSchema;

/** Compiled (or, packaged, loaded precompiled) on first use: most containers never see a DataFrame body. */
function checker<T>(schema: Record<string, unknown>): (body: unknown) => T {
  let validate: ValidateFunction | undefined;
  return (body) => {
    const check = (validate ??= compileSchema(schema));
    if (check(body)) return body as T;
    const details = (check.errors ?? []).slice(0, 20).map((e) => ({ path: e.instancePath, problem: e.message ?? 'is invalid' }));
    throw new ValidationFailed('the DataFrame body is not in the format it names', details);
  };
}

type Split = FromSchema<typeof split>;

const checkSplit = checker<Split>(pandasSplitSchema);
const checkMlflowSplit = checker<FromSchema<typeof mlflowSplitSchema>>(mlflowSplitSchema);
const checkMlflowRecords = checker<FromSchema<typeof mlflowRecordsSchema>>(mlflowRecordsSchema);

/** Keys of `body` beyond `known`, ignored with a warning (MLflow's "params", say), as unknown fields are. */
function ignoredKeys(body: Record<string, unknown>, known: readonly string[], at: string): Warning[] {
  return Object.keys(body)
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: `${at}${pointer(k)}`, problem: 'unknown field, ignored' }));
}

function splitTable(body: Split, at: string, warnings: Warning[]): RecordBatch {
  const { columns, data } = body;
  const source = { name: `"${at.slice(1) ? `${at.slice(1)}/` : ''}data"`, mediaType: 'application/json' as const, warnings: [...warnings, ...ignoredKeys(body, ['columns', 'index', 'data'], at)] };
  return columnsTable(source, columns.map(String), data, `${at}/columns`);
}

export function pandasSplit(body: unknown): RecordBatch {
  return splitTable(checkSplit(body), '', []);
}

export function mlflowSplit(body: unknown): RecordBatch {
  const checked = checkMlflowSplit(body);
  return splitTable(checked.dataframe_split, '/dataframe_split', ignoredKeys(checked, ['dataframe_split'], ''));
}

export function mlflowRecords(body: unknown): RecordBatch {
  const checked = checkMlflowRecords(body);
  const source = { name: '"dataframe_records"', mediaType: 'application/json' as const, warnings: ignoredKeys(checked, ['dataframe_records'], '') };
  return recordsTable(source, checked.dataframe_records);
}
