import { settings } from '../settings';
import { csvRows } from './csv-rows';
import { jsonlRows } from './jsonl-rows';
import type { Position } from './records';
import { resolveTarget, scoreRows, type BatchFormat, type BatchRow, type BatchTarget, type ScoredRow } from './score-rows';

export interface ScoreStreamOptions {
  format: BatchFormat;
  /** CSV: the file's header, when the source is a byte range past it (./csv-rows.ts). */
  header?: readonly string[];
  /** Where the source begins in the file, when it is a byte range that starts a row. */
  start?: Position;
}

/**
 * A file, or a byte range of it that starts a row, read and scored as it
 * streams: its rows in groups of at most MAX_BATCH, each group's ScoredRows
 * yielded in order once scored (./score-rows.ts). The next bytes are read
 * only when the consumer asks for the next group, so a consumer that writes
 * each group before asking keeps memory flat. The version is resolved once,
 * before anything is read; a run failure (an unknown model, a header that
 * cannot be used) is thrown before the first group.
 */
export async function* scoreStream(target: BatchTarget, source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, options: ScoreStreamOptions): AsyncGenerator<ScoredRow[], void, undefined> {
  const resolved = resolveTarget(target);
  const reader = options.format === 'csv' ? csvRows(source, { ...(options.header ? { header: options.header } : {}), ...(options.start ? { start: options.start } : {}) }) : jsonlRows(source, options.start ? { start: options.start } : {});
  const size = settings.maxBatch();
  let pending: BatchRow[] = [];
  for await (const rows of reader) {
    pending = pending.length === 0 ? rows : pending.concat(rows);
    while (pending.length >= size) {
      yield await scoreRows(resolved, pending.slice(0, size), options.format);
      pending = pending.slice(size);
    }
  }
  if (pending.length > 0) yield await scoreRows(resolved, pending, options.format);
}
