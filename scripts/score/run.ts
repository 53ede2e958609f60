import { createReadStream, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvRows, jsonlRows, resolveTarget, rowWriter, scoreRows, type BatchRow } from '../../lib/batch';
import { findManifest } from '../../lib/repository/model-repository';
import { settings } from '../../lib/settings';
import type { ScoreArgs } from './args';

/**
 * One run of the local batch scorer: the input streamed through the reader
 * of its format, scored MAX_BATCH rows at a time by lib/batch's scoreRows,
 * written as it goes. Memory stays flat: the next chunk of the file is read
 * only once the rows before it are scored and the output has taken them
 * (the write stream's backpressure).
 */

export interface Progress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
  elapsedMs: number;
}

export interface ScoreSummary {
  model: { name: string; version: string };
  rows: number;
  scored: number;
  /** Failed rows by error code. */
  errors: Record<string, number>;
  /** The first failed rows, with their line and code, for the summary. */
  firstFailures: { line: number; code: string; message: string }[];
  elapsedMs: number;
}

const FIRST_FAILURES = 10;

async function write(out: Writable, text: string): Promise<void> {
  if (text !== '' && !out.write(text)) await once(out, 'drain');
}

export async function scoreFile(args: ScoreArgs, out: Writable, onProgress: (progress: Progress) => void = () => undefined): Promise<ScoreSummary> {
  const started = performance.now();
  // Resolved before anything is read or written: an unknown model, version or label fails the run here.
  const target = resolveTarget(args.target);
  const writer = rowWriter(args.format, findManifest(target.name, target.version).manifest);
  const totalBytes = statSync(args.input).size;
  // 64 KiB reads (the default): the bytes read then track the rows scored closely enough for the progress bar.
  const source = createReadStream(args.input, { highWaterMark: 64 * 1024 });
  const reader = args.inputFormat === 'csv' ? csvRows(source) : jsonlRows(source);
  const summary: ScoreSummary = { model: target, rows: 0, scored: 0, errors: {}, firstFailures: [], elapsedMs: 0 };
  const size = settings.maxBatch();
  let pending: BatchRow[] = [];

  const flush = async (rows: BatchRow[]) => {
    const scored = await scoreRows(target, rows, args.inputFormat);
    for (const row of scored) {
      summary.rows++;
      if (row.error === undefined) summary.scored++;
      else {
        summary.errors[row.error.code] = (summary.errors[row.error.code] ?? 0) + 1;
        if (summary.firstFailures.length < FIRST_FAILURES) summary.firstFailures.push({ line: row.line, code: row.error.code, message: row.error.message });
      }
    }
    await write(out, writer.rows(scored));
    onProgress({ bytesRead: source.bytesRead, totalBytes, rows: summary.rows, elapsedMs: performance.now() - started });
  };

  try {
    let headerWritten = false;
    for await (const rows of reader) {
      if (!headerWritten) {
        await write(out, writer.header());
        headerWritten = true;
      }
      pending = pending.length === 0 ? rows : pending.concat(rows);
      while (pending.length >= size) {
        await flush(pending.slice(0, size));
        pending = pending.slice(size);
      }
    }
    if (!headerWritten) await write(out, writer.header());
    if (pending.length > 0) await flush(pending);
  } finally {
    source.destroy();
  }
  summary.elapsedMs = performance.now() - started;
  onProgress({ bytesRead: totalBytes, totalBytes, rows: summary.rows, elapsedMs: summary.elapsedMs });
  return summary;
}
