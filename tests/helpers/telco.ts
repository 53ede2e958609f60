import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { repoRoot } from './models';

/** The published Telco CSV, read where it lies: ../shared beside the project (shared/README.md). */
export const telcoPath = path.resolve(repoRoot, '..', 'shared', 'data', 'telco-customer-churn.csv');
export const telcoText = readFileSync(telcoPath, 'utf8');

/** The file's header and its rows, every value as text, as the file has them. */
export const [telcoHeader, ...telcoRows] = parse(telcoText) as string[][];

/** The header line and the first `count` data lines of the file, byte for byte (CRLF and all). */
export function telcoHead(count: number): string {
  return `${telcoText.split('\n').slice(0, count + 1).join('\n')}\n`;
}

/** A raw row as a JSON record, keyed by the file's column names. */
export function telcoRecord(row: readonly string[]): Record<string, string> {
  return Object.fromEntries(telcoHeader!.map((column, j) => [column, row[j]!]));
}
