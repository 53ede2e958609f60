import { readFileSync } from 'node:fs';
import path from 'node:path';
import { latestModelDir } from '../../lib/model-repository';

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
  return JSON.parse(readFileSync(path.join(latestModelDir(name, modelsDir), 'parity.json'), 'utf8')) as ParityFixture;
}
