import { createReadStream, statSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { imageFolder, resolveTarget, rowWriter, scoreImages, scoreStream, type OutputRow } from '../../lib/batch';
import { findManifest } from '../../lib/repository/model-repository';
import type { ScoreArgs } from './args';

/**
 * One run of the local batch scorer: the input scored as it streams by
 * lib/batch's scoreStream (MAX_BATCH rows at a time), or a folder's
 * pictures one by one by its scoreImages, written as it goes.
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
  /** The first failed rows, with their line (a folder's: their file) and code, for the summary. */
  firstFailures: { line?: number; file?: string; code: string; message: string }[];
  /** A folder's entries not scored: subfolders and hidden files. */
  skipped?: { folders: number; hidden: number };
  elapsedMs: number;
}

const FIRST_FAILURES = 10;

async function write(out: Writable, text: string): Promise<void> {
  if (text !== '' && !out.write(text)) await once(out, 'drain');
}

/** A scored row counted into the summary. */
function count(summary: ScoreSummary, row: OutputRow): void {
  summary.rows++;
  if (row.error === undefined) summary.scored++;
  else {
    summary.errors[row.error.code] = (summary.errors[row.error.code] ?? 0) + 1;
    if (summary.firstFailures.length < FIRST_FAILURES) summary.firstFailures.push({ ...('file' in row ? { file: row.file } : { line: row.line }), code: row.error.code, message: row.error.message });
  }
}

/** A folder of pictures (lib/batch/image-files.ts), one file read and scored at a time, each row written before the next file is read. */
async function scoreFolder(args: ScoreArgs, out: Writable, onProgress: (progress: Progress) => void): Promise<ScoreSummary> {
  const started = performance.now();
  const target = resolveTarget(args.target);
  const writer = rowWriter(args.format, findManifest(target.name, target.version).manifest, 'file');
  const folder = await imageFolder(args.input);
  const summary: ScoreSummary = { model: target, rows: 0, scored: 0, errors: {}, firstFailures: [], skipped: folder.skipped, elapsedMs: 0 };
  let bytesRead = 0;
  let headerWritten = false;
  for await (const row of scoreImages(target, folder.files)) {
    if (!headerWritten) {
      await write(out, writer.header());
      headerWritten = true;
    }
    count(summary, row);
    bytesRead += folder.files[summary.rows - 1]!.size;
    await write(out, writer.rows([row]));
    onProgress({ bytesRead, totalBytes: folder.totalBytes, rows: summary.rows, elapsedMs: performance.now() - started });
  }
  if (!headerWritten) await write(out, writer.header());
  summary.elapsedMs = performance.now() - started;
  onProgress({ bytesRead: folder.totalBytes, totalBytes: folder.totalBytes, rows: summary.rows, elapsedMs: summary.elapsedMs });
  return summary;
}

export async function scoreFile(args: ScoreArgs, out: Writable, onProgress: (progress: Progress) => void = () => undefined): Promise<ScoreSummary> {
  if (args.inputFormat === 'images') return scoreFolder(args, out, onProgress);
  const inputFormat = args.inputFormat;
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
    for await (const scored of scoreStream(target, source, { format: inputFormat })) {
      if (!headerWritten) {
        await write(out, writer.header());
        headerWritten = true;
      }
      for (const row of scored) count(summary, row);
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
