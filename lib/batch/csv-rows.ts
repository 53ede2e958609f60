import { InvalidCsv } from '../errors';
import { CSV_PROBLEMS, parse } from '../protocols/rest/formats/csv';
import { columnsTable } from '../protocols/rest/formats/table';
import { fileRecords, MAX_RECORD_BYTES, type FileRecord, type Position } from './records';
import { rowErrorOf, type BatchRow } from './score-rows';

/**
 * A CSV file's rows as BatchRows (./score-rows.ts), streamed: the header's
 * column names to each row's text values, by the CSV route's own code (its
 * csv-parse options and its table of columns, lib/protocols/rest/formats),
 * so the model's reader types the values as it does for a text/csv body.
 * Unlike the route, a bad row is that row's error, with its line: a blank
 * line, a row of another width, a quote misplaced; a quote left open, which
 * swallows the rest of the file, is one error at the line it opened on,
 * saying which lines were not scored.
 */

const SOURCE = { name: 'the CSV body', mediaType: 'text/csv' as const, warnings: [] };

/** csv-parse's options: the route's (a BOM is dropped by ./records.ts), widths checked here so that a row of another width is that row's error. */
const OPTIONS = { bom: false, skip_empty_lines: false, relax_column_count: true };

/** A CSV error of one line, as a row's error: the route's code and wording. */
function csvError(line: number, problem: string): BatchRow {
  return { line, error: rowErrorOf(new InvalidCsv(`line ${line} ${problem}`)) };
}

function parseProblem(error: unknown): string {
  const { code } = error as { code?: string };
  return CSV_PROBLEMS[code ?? ''] ?? 'is not valid CSV';
}

/**
 * The header's column names, checked as the route checks them (a name given
 * twice is refused): a header that cannot be used fails the run (InvalidCsv,
 * ValidationFailed), since no row could be read by it.
 */
export function parseCsvHeader(text: string): string[] {
  if (text.trim() === '') throw new InvalidCsv('the CSV file is empty or its first line is blank; it needs a header row, then one row per record');
  let rows: string[][];
  try {
    rows = parse(text, OPTIONS);
  } catch (error) {
    throw new InvalidCsv(`the CSV file's header ${parseProblem(error)}`, [{ path: '/columns', problem: parseProblem(error) }]);
  }
  const header = rows[0] ?? [];
  columnsTable(SOURCE, header, [], '/columns');
  return header;
}

/** One record's row: its values, or why it has none. */
function rowOf(record: FileRecord, header: readonly string[], values: readonly string[] | null): BatchRow | string[] {
  if (record.open) {
    const lines = record.lastLine > record.line ? `lines ${record.line} to ${record.lastLine}` : `line ${record.line}`;
    return csvError(record.line, `opens a quote that is never closed: ${lines}, the rest of the file, were not scored`);
  }
  if (record.tooLong) return csvError(record.line, `starts a row longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB (lines ${record.line} to ${record.lastLine}); a quote left open?`);
  if (record.text.trim() === '') return csvError(record.line, 'is blank');
  if (values === null) {
    try {
      values = parse(record.text, OPTIONS)[0] ?? [];
    } catch (error) {
      return csvError(record.line, parseProblem(error));
    }
  }
  if (values.length !== header.length) {
    return csvError(record.line, `${CSV_PROBLEMS.CSV_RECORD_INCONSISTENT_FIELDS_LENGTH} (${values.length} values, ${header.length} columns)`);
  }
  return [...values];
}

/**
 * Parses records together (one csv-parse call for all of them, the common
 * case); when that fails or disagrees on where rows end, each on its own.
 */
function valuesOf(records: readonly FileRecord[]): (string[] | null)[] {
  const plain = records.filter((r) => !r.open && !r.tooLong && r.text.trim() !== '');
  if (plain.length === 0) return records.map(() => null);
  try {
    const rows = parse(plain.map((r) => r.text).join('\n'), OPTIONS);
    if (rows.length === plain.length) {
      let next = 0;
      return records.map((r) => (r.open || r.tooLong || r.text.trim() === '' ? null : rows[next++]!));
    }
  } catch {
    // One of them is broken: each is read alone below, so that only its row fails.
  }
  return records.map(() => null);
}

/** Turns records into rows: the zipping of names and values is the route's columnsTable, once per chunk. */
function rowsOf(records: readonly FileRecord[], header: readonly string[]): BatchRow[] {
  const values = valuesOf(records);
  const read = records.map((record, i) => rowOf(record, header, values[i]!));
  const good = read.filter((r): r is string[] => Array.isArray(r));
  const objects = columnsTable(SOURCE, header, good, '/columns').records;
  let next = 0;
  return read.map((r, i) => (Array.isArray(r) ? { line: records[i]!.line, record: objects[next++] } : r));
}

export interface CsvRowsOptions {
  /**
   * The header, when the source starts past it (a byte range of the file):
   * then `start` is where the source begins. Without it, the source's first
   * record is the header.
   */
  header?: readonly string[];
  start?: Position;
}

/** What a CSV source holds: its header, then its rows in chunks (see the top of this file). */
export async function* csvRows(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, options: CsvRowsOptions = {}): AsyncGenerator<BatchRow[], void, undefined> {
  let header = options.header;
  for await (const records of fileRecords(source, true, options.start)) {
    let from = 0;
    if (header === undefined && records.length > 0) {
      const first = records[0]!;
      if (first.open || first.tooLong) throw new InvalidCsv(`the CSV file's header opens a quote that is never closed (line ${first.line})`);
      header = parseCsvHeader(first.text);
      from = 1;
    }
    if (header === undefined || records.length === from) continue;
    yield rowsOf(from === 0 ? records : records.slice(from), header);
  }
  if (header === undefined) throw new InvalidCsv('the CSV file is empty; it needs a header row, then one row per record');
}
