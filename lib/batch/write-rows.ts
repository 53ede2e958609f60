import { isPlainObject } from '../plain-object';
import { kindOf, type Manifest } from '../kinds';
import { cell, flatten, stringify } from '../protocols/rest/formats/csv';
import type { ScoredFile } from './score-images';
import type { ScoredRow } from './score-rows';

/**
 * Scored rows as an output file (README, "Batch scoring"), in the input's
 * order: CSV with a column `line` (the input line the row started on; for
 * a folder of pictures `file`, the file's name in the folder), one
 * column per answer field as the route's CSV answer names them
 * (churn_probability, churn; probabilities.greeting, ...), `warnings` (a JSON
 * array of {path, problem}, empty when none) and `error` (a JSON object
 * {code, message, details}, empty for a scored row); or JSON lines, one
 * object per row: line (or file), the answer's fields, warnings, and error for a row
 * that failed. The columns come from the model's answer schema, not from
 * the rows, so every part of a file scored in pieces has the same header.
 */

export type OutputFormat = 'csv' | 'jsonl';

/** The keys an object schema names: its properties, or the enum of its propertyNames (an image model's probabilities, keyed by its labels). */
function keysOf(schema: Record<string, unknown>): string[] | null {
  if (isPlainObject(schema.properties)) return Object.keys(schema.properties);
  if (isPlainObject(schema.propertyNames) && Array.isArray(schema.propertyNames.enum)) return schema.propertyNames.enum.map(String);
  return null;
}

/** Dotted names of a JSON schema's properties, nested objects by their own keys: probabilities.greeting. */
function propertyNames(schema: unknown, prefix: string): string[] {
  if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return [];
  return Object.entries(schema.properties).flatMap(([name, property]) => {
    const nested = isPlainObject(property) ? keysOf(property) : null;
    if (nested === null) return [`${prefix}${name}`];
    return isPlainObject(property) && isPlainObject(property.properties) ? propertyNames(property, `${prefix}${name}.`) : nested.map((key) => `${prefix}${name}.${key}`);
  });
}

/** The answer fields of one record, as columns: from the kind's answer schema (its one-record form, the first of oneOf). */
export function answerColumns(manifest: Manifest): string[] {
  const schema = kindOf(manifest).answerSchema(manifest);
  const single = Array.isArray(schema.oneOf) ? (schema.oneOf as unknown[])[0] : schema;
  return propertyNames(single, '');
}

/** A row of a file (its line) or of a folder of pictures (its file's name). */
export type OutputRow = ScoredRow | ScoredFile;
/** The first column: `line` for a file's rows, `file` for a folder's. */
export type KeyColumn = 'line' | 'file';

const keyOf = (row: OutputRow): Record<string, string | number> => ('file' in row ? { file: row.file } : { line: row.line });

export interface RowWriter {
  /** What the output starts with: the CSV header line, nothing for JSON lines. */
  header(): string;
  /** The rows' text, one line each. */
  rows(rows: readonly OutputRow[]): string;
}

export function csvWriter(columns: readonly string[], key: KeyColumn = 'line'): RowWriter {
  return {
    header: () => stringify([[key, ...columns, 'warnings', 'error']]),
    rows(rows) {
      if (rows.length === 0) return '';
      return stringify(
        rows.map((row) => {
          const fields = new Map<string, unknown>();
          if (row.answer) flatten(row.answer, '', fields);
          return [
            'file' in row ? row.file : String(row.line),
            ...columns.map((column) => cell(fields.get(column))),
            row.warnings.length > 0 ? JSON.stringify(row.warnings) : '',
            row.error ? JSON.stringify(row.error) : '',
          ];
        }),
      );
    },
  };
}

export function jsonlWriter(): RowWriter {
  return {
    header: () => '',
    rows: (rows) => rows.map((row) => `${JSON.stringify({ ...keyOf(row), ...row.answer, warnings: row.warnings, ...(row.error ? { error: row.error } : {}) })}\n`).join(''),
  };
}

export function rowWriter(format: OutputFormat, manifest: Manifest, key: KeyColumn = 'line'): RowWriter {
  return format === 'csv' ? csvWriter(answerColumns(manifest), key) : jsonlWriter();
}
