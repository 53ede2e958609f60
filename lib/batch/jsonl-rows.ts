import { InvalidJson } from '../errors';
import { fileRecords, MAX_RECORD_BYTES, type FileRecord, type Position } from './records';
import { rowErrorOf, type BatchRow } from './score-rows';

/**
 * A JSON lines file's rows as BatchRows (./score-rows.ts), streamed: each
 * line one predict record, as one of {"instances": [...]} (the route's
 * JSON). A blank line or a line that is not JSON is that row's error
 * (invalid_json, as the route answers a body that is not JSON); the parser's
 * own message is left out, since it quotes the line.
 */

function jsonError(line: number, problem: string): BatchRow {
  return { line, error: rowErrorOf(new InvalidJson(`line ${line} ${problem}`)) };
}

function rowOf(record: FileRecord): BatchRow {
  if (record.tooLong) return jsonError(record.line, `is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB`);
  if (record.text.trim() === '') return jsonError(record.line, 'is blank');
  try {
    return { line: record.line, record: JSON.parse(record.text) as unknown };
  } catch {
    return jsonError(record.line, 'is not valid JSON');
  }
}

export interface JsonlRowsOptions {
  /** Where the source begins, when it is a byte range of the file that starts a line. */
  start?: Position;
}

/** What a JSON lines source holds, in chunks (see the top of this file). */
export async function* jsonlRows(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, options: JsonlRowsOptions = {}): AsyncGenerator<BatchRow[], void, undefined> {
  for await (const records of fileRecords(source, false, options.start)) {
    if (records.length > 0) yield records.map(rowOf);
  }
}
