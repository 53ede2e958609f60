import { isPlainObject } from '../plain-object';
import { kindOf, type Manifest } from '../kinds';
import { cell, flatten, stringify } from '../protocols/rest/formats/csv';
import type { ScoredRow } from './score-rows';

/**
 * Scored rows as an output file (README, "Batch scoring"), in the input's
 * order: CSV with a column `line` (the input line the row started on), one
 * column per answer field as the route's CSV answer names them
 * (churn_probability, churn; probabilities.greeting, ...), `warnings` (a JSON
 * array of {path, problem}, empty when none) and `error` (a JSON object
 * {code, message, details}, empty for a scored row); or JSON lines, one
 * object per row: line, the answer's fields, warnings, and error for a row
 * that failed. The columns come from the model's answer schema, not from
 * the rows, so every part of a file scored in pieces has the same header.
 */

export type OutputFormat = 'csv' | 'jsonl';

/** Dotted names of a JSON schema's properties, nested objects by their own properties: probabilities.greeting. */
function propertyNames(schema: unknown, prefix: string): string[] {
  if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return [];
  return Object.entries(schema.properties).flatMap(([name, property]) =>
    isPlainObject(property) && isPlainObject(property.properties) ? propertyNames(property, `${prefix}${name}.`) : [`${prefix}${name}`],
  );
}

/** The answer fields of one record, as columns: from the kind's answer schema (its one-record form, the first of oneOf). */
export function answerColumns(manifest: Manifest): string[] {
  const schema = kindOf(manifest).answerSchema(manifest);
  const single = Array.isArray(schema.oneOf) ? (schema.oneOf as unknown[])[0] : schema;
  return propertyNames(single, '');
}

export interface RowWriter {
  /** What the output starts with: the CSV header line, nothing for JSON lines. */
  header(): string;
  /** The rows' text, one line each. */
  rows(rows: readonly ScoredRow[]): string;
}

export function csvWriter(columns: readonly string[]): RowWriter {
  return {
    header: () => stringify([['line', ...columns, 'warnings', 'error']]),
    rows(rows) {
      if (rows.length === 0) return '';
      return stringify(
        rows.map((row) => {
          const fields = new Map<string, unknown>();
          if (row.answer) flatten(row.answer, '', fields);
          return [
            String(row.line),
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
    rows: (rows) => rows.map((row) => `${JSON.stringify({ line: row.line, ...row.answer, warnings: row.warnings, ...(row.error ? { error: row.error } : {}) })}\n`).join(''),
  };
}

export function rowWriter(format: OutputFormat, manifest: Manifest): RowWriter {
  return format === 'csv' ? csvWriter(answerColumns(manifest)) : jsonlWriter();
}
