import { ValidationFailed } from '../../../errors';
import { pointer } from '../../../json-pointer';
import type { RecordBatch, Warning } from '../../../kinds/kind';
import { shorten } from '../../../shorten';

/**
 * Records read from a table (CSV, pandas split, MLflow): every path names a
 * row by its number, 1 for the first data row, and the model's field name:
 * "/rows/3/tenure". A column the model does not know is reported once, at
 * "/columns/<name as sent>", since every row has it.
 */
export interface TableSource {
  /** The table in messages: 'the CSV body', '"data"'. */
  name: string;
  mediaType: RecordBatch['mediaType'];
  /** Warnings from reading the body (keys beside the table that are ignored). */
  warnings: Warning[];
}

export function rowPointer(index: number, field?: string): string {
  return pointer('rows', index + 1, ...(field === undefined ? [] : [field]));
}

/** A table whose rows are already records (MLflow's dataframe_records). */
export function recordsTable(source: TableSource, records: readonly unknown[]): RecordBatch {
  return {
    ...source,
    records,
    single: false,
    at: rowPointer,
    where: '/rows',
    unknownField: (_index, key) => ({ path: pointer('columns', key), problem: 'unknown column, ignored' }),
  };
}

/**
 * A table given as column names and rows of values (CSV, pandas split): each
 * row becomes a record by column name. Rows must be as wide as the header;
 * a name given twice is refused, since either value could be meant.
 */
export function columnsTable(source: TableSource, columns: readonly string[], rows: readonly unknown[][], where: string): RecordBatch {
  const seen = new Set<string>();
  for (const column of columns) {
    if (seen.has(column)) throw new ValidationFailed(`column "${shorten(column)}" is named twice`, [{ path: where, problem: 'names a column twice' }]);
    seen.add(column);
  }
  const records = rows.map((row, index) => {
    if (row.length !== columns.length) {
      throw new ValidationFailed(`row ${index + 1} has ${row.length} values; there are ${columns.length} columns`, [
        { path: rowPointer(index), problem: `has ${row.length} values, not ${columns.length}` },
      ]);
    }
    // fromEntries defines own properties: a "__proto__" column is a column, not a prototype.
    return Object.fromEntries(columns.map((column, j) => [column, row[j]]));
  });
  return recordsTable(source, records);
}
