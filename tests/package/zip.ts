import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { CODE_BUDGET, zipCheck, type SizedModel } from '../../scripts/model-sizing';
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

/**
 * A zip's size checks (README, "Large models"): the code's share (every
 * entry but models/) against the code's budget, which no model can move, and
 * code and models together against Lambda's 250 MB unzipped, whose refusal
 * names the models and the way out (scripts/model-sizing.js, zipCheck). The
 * models are counted per version folder ("name/version"), a traffic file as
 * itself.
 */
export function sizeReport(entries: readonly ZipEntry[], zipped: number) {
  const code = entries.filter((e) => !e.name.startsWith('models/'));
  const modelEntries = entries.filter((e) => e.name.startsWith('models/'));
  const byVersion = new Map<string, number>();
  for (const e of modelEntries) {
    const parts = e.name.split('/');
    const label = parts.length >= 4 ? `${parts[1]}/${parts[2]}` : parts.slice(1).join('/');
    byVersion.set(label, (byVersion.get(label) ?? 0) + e.bytes);
  }
  const models: SizedModel[] = [...byVersion].map(([label, bytes]) => ({ label, bytes }));
  const codeUnzipped = code.reduce((sum, e) => sum + e.bytes, 0);
  const codeZipped = zipped - modelEntries.reduce((sum, e) => sum + e.compressed, 0);
  return {
    codeUnzipped,
    codeZipped,
    codeWithinBudget: codeUnzipped <= CODE_BUDGET.unzippedBytes && codeZipped <= CODE_BUDGET.zippedBytes,
    models,
    lambda: zipCheck(codeUnzipped, models),
  };
}
