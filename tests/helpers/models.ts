import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../lib/kinds';
import type { BinaryClassificationManifest } from '../../lib/kinds/binary-classification/manifest';
import { findVersion } from '../../lib/repository/model-repository';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const modelsDir = path.join(repoRoot, 'models');

export interface ParityCase {
  customerid: string;
  input: Record<string, string | number>;
  churn_probability: number;
}

export interface ParityFixture {
  model: string;
  version: string;
  cases: ParityCase[];
}

/** The folder of a model's newest committed version. */
export function versionDir(name: string): string {
  return findVersion(name, undefined, modelsDir).dir;
}

/** The committed parity fixture of a model's newest version (scikit-learn's predict_proba). */
export function parityFixture(name = 'churn'): ParityFixture {
  return JSON.parse(readFileSync(path.join(versionDir(name), 'parity.json'), 'utf8')) as ParityFixture;
}

/** The committed manifest of a model's newest version, as the repository parsed it. */
export function manifestOf(name: string): Manifest {
  const entry = findVersion(name, undefined, modelsDir);
  if (!entry.manifest) throw new Error(`${name}/${entry.version}: ${entry.problem}`);
  return entry.manifest;
}

/** The churn manifest, narrowed to its kind. */
export function churnManifest(): BinaryClassificationManifest {
  const manifest = manifestOf('churn');
  if (manifest.kind !== 'binary-classification') throw new Error('churn is not a binary classifier');
  return manifest;
}
