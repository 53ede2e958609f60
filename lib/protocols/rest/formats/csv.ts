import { isPlainObject } from '../../../plain-object';
import type { Options as CsvParseOptions, parse as csvParse } from 'csv-parse/sync';
import type { stringify as csvStringify } from 'csv-stringify/sync';
import { InvalidCsv } from '../../../errors';
import type { RecordBatch, Warning } from '../../../kinds/kind';
import { columnsTable, rowPointer } from './table';

// csv-parse and csv-stringify are required when a CSV body or answer first
// needs them, and the functions' packages carry them in files of their own
// beside the bundles (scripts/esbuild-plugins.js): most containers never see
// CSV, and parsing their 43 KB with the bundle cost every predict cold start
// 0.9 ms (BENCHMARKS.md, "Ablations").
let parser: typeof csvParse | undefined;
let stringifier: typeof csvStringify | undefined;
/** csv-parse's sync parse, loaded on first use (also the batch scorer's, lib/batch). */
export const parse = (text: string, options: Pick<CsvParseOptions, 'bom' | 'skip_empty_lines' | 'relax_column_count'>): string[][] =>
  (parser ??= (require('csv-parse/sync') as { parse: typeof csvParse }).parse)(text, options) as string[][];
export const stringify = (rows: string[][]): string => (stringifier ??= (require('csv-stringify/sync') as { stringify: typeof csvStringify }).stringify)(rows);

/** text/csv with any parameters (the body is read as UTF-8). */
const csvMediaType = /^text\/csv\s*(?:;|$)/i;

export function isCsvType(contentType: string): boolean {
  return csvMediaType.test(contentType);
}

/** What csv-parse's error codes mean to the client. */
export const CSV_PROBLEMS: Record<string, string> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'has another number of values than the header has columns',
  CSV_QUOTE_NOT_CLOSED: 'has a quote that is not closed',
  CSV_INVALID_CLOSING_QUOTE: 'has a character right after a closing quote',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'has a character right after a closing quote',
};

/**
 * A CSV body (RFC 4180, comma-separated, UTF-8 with or without a BOM): a
 * header row, then one row per record. Values stay text; the model's reader
 * turns numeric and boolean text into numbers and booleans as it does for
 * JSON. Parsed by csv-parse rather than by hand: quoting, escaped quotes,
 * line breaks inside quotes and CRLF are where hand-written CSV goes wrong.
 */
export function readCsv(text: string): RecordBatch {
  if (text.trim() === '') throw new InvalidCsv('request body is empty; send a header row, then one row per record');
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true });
  } catch (error) {
    const { code, records } = error as { code?: string; records?: number };
    // csv-parse counts the records it read before the failing one; the header is record 1, so that count is the failing data row's number.
    const at = typeof records === 'number' && records > 0 ? rowPointer(records - 1) : '/columns';
    const problem = CSV_PROBLEMS[code ?? ''] ?? 'is not valid CSV';
    throw new InvalidCsv(`the CSV body is not valid: ${at === '/columns' ? 'the header' : `row ${records}`} ${problem}`, [{ path: at, problem }]);
  }
  const [header = [], ...data] = rows;
  return columnsTable({ name: 'the CSV body', mediaType: 'text/csv', warnings: [] }, header, data, '/columns');
}

/** An answer field as a CSV cell: objects as JSON, nothing as empty. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** An answer's fields as columns: nested objects by dotted name (probabilities.greeting). */
export function flatten(answer: Record<string, unknown>, prefix: string, into: Map<string, unknown>): void {
  for (const [key, value] of Object.entries(answer)) {
    if (isPlainObject(value)) flatten(value, `${prefix}${key}.`, into);
    else into.set(`${prefix}${key}`, value);
  }
}

/**
 * The CSV answer: a header, then one row per record in request order, one
 * column per answer field (each class's probability its own column), and a
 * last column `warnings`: a JSON array of the warnings ({path, problem})
 * about that record and about the request as a whole, empty when there are none.
 */
export function csvAnswer(answers: readonly Record<string, unknown>[], warnings: readonly Warning[]): string {
  const rows = answers.map((answer) => {
    const fields = new Map<string, unknown>();
    flatten(answer, '', fields);
    return fields;
  });
  const columns = [...new Set(rows.flatMap((fields) => [...fields.keys()]))];
  const shared = warnings.filter((w) => w.record === undefined);
  const own = (index: number) => warnings.filter((w) => w.record === index);
  const lines = rows.map((fields, index) => {
    const notes = [...shared, ...own(index)].map(({ path, problem }) => ({ path, problem }));
    return [...columns.map((c) => cell(fields.get(c))), notes.length > 0 ? JSON.stringify(notes) : ''];
  });
  return stringify([[...columns, 'warnings'], ...lines]);
}
