import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BinaryClassificationManifest, Manifest } from '../../lib/manifest';
import { resolveModel } from '../../lib/model-catalog';
import { readManifest } from '../../lib/model-files';

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

/** The committed parity fixture of a model's newest version (scikit-learn's predict_proba). */
export function parityFixture(name = 'churn'): ParityFixture {
  return JSON.parse(readFileSync(path.join(resolveModel(name, undefined, modelsDir).dir, 'parity.json'), 'utf8')) as ParityFixture;
}

/** The committed manifest of a model's newest version. */
export function manifestOf(name: string): Manifest {
  return readManifest(resolveModel(name, undefined, modelsDir).dir);
}

/** The churn manifest, narrowed to its task. */
export function churnManifest(): BinaryClassificationManifest {
  const manifest = manifestOf('churn');
  if (manifest.task !== 'binary-classification') throw new Error('churn is not a binary classifier');
  return manifest;
}
