import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { parseScoreArgs, USAGE, UsageError } from './args';
import { duration, progressView, type ProgressSink } from './progress';
import { scoreFile, type ScoreSummary } from './run';

/**
 * npm run score -- <input.csv|input.jsonl|folder of images> --model <name>[@<version>|:<label>] [--out <file>] [--format csv|jsonl]
 *
 * The local batch scorer (README, "Batch scoring"): every row of the file
 * (or each picture of a folder, by name) scored through the predict
 * route's code (lib/batch), written in the input's order with `warnings` and `error` per row; progress and a summary
 * on standard error. Exit 0 when the run went through, whatever its rows
 * said; 1 when the run itself failed (no such model, a file that cannot be
 * read, a header that cannot be used); 2 for a usage mistake. The output
 * file is written beside its final name and renamed once complete, so a
 * failed run leaves no half file behind.
 */

export interface ScoreIo {
  stdout: Writable;
  stderr: ProgressSink;
}

const number = (n: number) => n.toLocaleString('en-US');

function report(summary: ScoreSummary, input: string, destination: string): string {
  const failed = summary.rows - summary.scored;
  const rate = summary.elapsedMs > 0 ? (summary.rows * 1000) / summary.elapsedMs : 0;
  const lines = [
    `score: ${number(summary.rows)} rows of ${path.basename(input)} by ${summary.model.name} ${summary.model.version} → ${destination}`,
    `  ${number(summary.scored)} scored, ${number(failed)} failed, in ${duration(summary.elapsedMs)} (${number(Math.round(rate))} rows/s)`,
  ];
  const codes = Object.entries(summary.errors).sort(([a], [b]) => a.localeCompare(b));
  if (codes.length > 0) lines.push(`  failed by code: ${codes.map(([code, n]) => `${code} ${number(n)}`).join(', ')}`);
  if (summary.skipped && summary.skipped.folders + summary.skipped.hidden > 0) {
    lines.push(`  skipped, not scored: ${number(summary.skipped.folders)} subfolders, ${number(summary.skipped.hidden)} hidden files`);
  }
  for (const f of summary.firstFailures) lines.push(`  ${f.file === undefined ? `line ${f.line}` : f.file}: ${f.code}: ${f.message}`);
  if (failed > summary.firstFailures.length) lines.push(`  … ${number(failed - summary.firstFailures.length)} more failed rows: their "error" says why`);
  return `${lines.join('\n')}\n`;
}

export async function cli(argv: readonly string[], io: ScoreIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args;
  try {
    args = parseScoreArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`score: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  const staged = args.out === undefined ? undefined : path.join(path.dirname(args.out), `.${path.basename(args.out)}.partial-${process.pid}`);
  const out = staged === undefined ? io.stdout : createWriteStream(staged);
  const view = progressView(io.stderr, 'score');
  // Ctrl-C: the half-written file goes too, as on any other failure.
  const interrupted = () => {
    if (staged !== undefined) rmSync(staged, { force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  // A write that fails (a folder that does not exist, a full disk, a closed pipe) fails the run, named, rather than crashing it.
  const broken = new Promise<never>((_, reject) => out.once('error', reject));
  broken.catch(() => undefined);
  try {
    // The output is opened before anything is scored.
    if (staged !== undefined) await Promise.race([once(out, 'open'), broken]);
    const summary = await Promise.race([scoreFile(args, out, (progress) => view.update(progress)), broken]);
    view.done({ bytesRead: 1, totalBytes: 1, rows: summary.rows, elapsedMs: summary.elapsedMs });
    if (staged !== undefined) {
      out.end();
      await Promise.race([finished(out), broken]);
      renameSync(staged, args.out!);
    }
    io.stderr.write(report(summary, args.input, args.out ?? 'standard output'));
    return 0;
  } catch (error) {
    if (staged !== undefined) {
      out.destroy();
      rmSync(staged, { force: true });
    }
    // On a terminal the bar may be mid-line.
    io.stderr.write(`${io.stderr.isTTY ? '\n' : ''}score: the run failed, nothing was written${args.out === undefined ? ' after the rows above' : ` to ${args.out}`}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', interrupted);
  }
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => (process.exitCode = code));
