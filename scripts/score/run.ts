import { createReadStream, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { resolveTarget, rowWriter, scoreStream } from '../../lib/batch';
import { findManifest } from '../../lib/repository/model-repository';
import type { ScoreArgs } from './args';

/**
 * One run of the local batch scorer: the input scored as it streams by
 * lib/batch's scoreStream (MAX_BATCH rows at a time), written as it goes.
 * Memory stays flat: the next chunk of the file is read only once the rows
 * before it are scored and the output has taken them (the write stream's
 * backpressure).
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
  const summary: ScoreSummary = { model: target, rows: 0, scored: 0, errors: {}, firstFailures: [], elapsedMs: 0 };
  try {
    let headerWritten = false;
    for await (const scored of scoreStream(target, source, { format: args.inputFormat })) {
      if (!headerWritten) {
        await write(out, writer.header());
        headerWritten = true;
      }
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
    }
    if (!headerWritten) await write(out, writer.header());
  } finally {
    source.destroy();
  }
  summary.elapsedMs = performance.now() - started;
  onProgress({ bytesRead: totalBytes, totalBytes, rows: summary.rows, elapsedMs: summary.elapsedMs });
  return summary;
}
