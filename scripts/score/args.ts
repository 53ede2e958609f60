import { statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BatchFormat, BatchTarget, OutputFormat } from '../../lib/batch';

/** What `npm run score -- …` was asked (README, "Batch scoring"). */
export interface ScoreArgs {
  input: string;
  /** A CSV or JSON lines file, or a folder of pictures (lib/batch/image-files.ts). */
  inputFormat: BatchFormat | 'images';
  target: BatchTarget;
  /** Where the rows go; undefined: standard output. */
  out?: string;
  format: OutputFormat;
}

export const USAGE = 'usage: npm run score -- <input.csv | input.jsonl | folder of images> --model <name>[@<version> | :<label>] [--out <file>] [--format csv|jsonl]';

export class UsageError extends Error {}

/** The input's format by its extension: .csv, .jsonl or .ndjson. */
function formatOf(file: string): BatchFormat | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return undefined;
}

/** A folder given as the input: its pictures are scored. */
function isFolder(input: string): boolean {
  return statSync(input, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** `churn`, `churn@1.0.0`, `churn:stable`. */
export function parseTarget(text: string): BatchTarget {
  const match = /^([^@:]+)(?:@([^@:]+)|:([^@:]+))?$/.exec(text);
  if (!match) throw new UsageError(`--model "${text}" is not <name>, <name>@<version> or <name>:<label>`);
  const [, name, version, label] = match;
  return { name: name!, ...(version === undefined ? {} : { version }), ...(label === undefined ? {} : { label }) };
}

export function parseScoreArgs(argv: readonly string[]): ScoreArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { model: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } } });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'name the input file' : `one input file, not ${positionals.length}`);
  const input = positionals[0]!;
  const inputFormat = isFolder(input) ? 'images' : formatOf(input);
  if (inputFormat === undefined) throw new UsageError(`the input must be .csv, .jsonl or .ndjson, or a folder of images, not "${path.basename(input)}"`);
  if (values.model === undefined) throw new UsageError('--model is required');
  if (values.format !== undefined && values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError(`--format is csv or jsonl, not "${values.format}"`);
  // A folder's rows are CSV unless asked otherwise.
  const format = (values.format as OutputFormat | undefined) ?? (values.out === undefined ? undefined : formatOf(values.out)) ?? (inputFormat === 'images' ? 'csv' : inputFormat);
  return { input, inputFormat, target: parseTarget(values.model), ...(values.out === undefined ? {} : { out: values.out }), format };
}
