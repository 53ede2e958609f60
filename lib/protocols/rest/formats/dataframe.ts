import * as Type from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { compileSchema } from '../../../ajv';
import { ValidationFailed } from '../../../errors';
import { pointer } from '../../../json-pointer';
import { AnyArray, AnyObject } from '../../../json-schema';
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

const split = Type.Object({
  columns: Type.Array(Type.Union([Type.String(), Type.Number()]), {
    description: "column names: the model's fields, matched case-insensitively; other columns are ignored with a warning",
  }),
  index: Type.Optional(AnyArray({ description: 'row labels, as pandas writes them; not used: answers come in the order of data' })),
  data: Type.Array(AnyArray(), { description: 'one array of values per row, in the order of columns' }),
});

export const pandasSplitSchema = split;
export const mlflowSplitSchema = Type.Object({ dataframe_split: split });
export const mlflowRecordsSchema = Type.Object({
  dataframe_records: Type.Array(AnyObject(), {
    description: "one object per row, by column name (df.to_dict(orient=\"records\")); names match the model's fields case-insensitively",
  }),
});

/** A body as its schema takes it; the keys beside its own are kept, to be warned about. */
type Body<S extends Type.TSchema> = Type.Static<S> & Record<string, unknown>;

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

type Split = Body<typeof split>;

const checkSplit = checker<Split>(pandasSplitSchema);
const checkMlflowSplit = checker<Body<typeof mlflowSplitSchema>>(mlflowSplitSchema);
const checkMlflowRecords = checker<Body<typeof mlflowRecordsSchema>>(mlflowRecordsSchema);

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
