import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { artifactsRoot } from './artifacts';

export interface ZipEntry {
  name: string;
  /** Unzipped. */
  bytes: number;
  /** As stored in the zip. */
  compressed: number;
}

export function zipPath(name: string): string {
  return path.join(artifactsRoot, name, 'ml-inference.zip');
}

/** The files of a packaged zip with their unzipped and stored sizes (from `unzip -v`). */
export function zipEntries(name: string): ZipEntry[] {
  const listing = execFileSync('unzip', ['-v', zipPath(name)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+[0-9a-f]{8}\s+(.+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[3]!.endsWith('/'))
    .map((m) => ({ bytes: Number(m[1]), compressed: Number(m[2]), name: m[3]!.trim() }));
}

export function zippedBytes(name: string): number {
  return statSync(zipPath(name)).size;
}
