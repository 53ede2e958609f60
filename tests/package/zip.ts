import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { artifactsRoot } from './artifacts';

export interface ZipEntry {
  name: string;
  bytes: number;
}

export function zipPath(name: string): string {
  return path.join(artifactsRoot, name, 'ml-inference.zip');
}

/** The files of a packaged zip with their unzipped sizes (from `unzip -l`). */
export function zipEntries(name: string): ZipEntry[] {
  const listing = execFileSync('unzip', ['-l', zipPath(name)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+\S+\s+\S+\s+(.+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.endsWith('/'))
    .map((m) => ({ bytes: Number(m[1]), name: m[2]!.trim() }));
}

export function zippedBytes(name: string): number {
  return statSync(zipPath(name)).size;
}
