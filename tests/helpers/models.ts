import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../../lib/kinds';
import type { BinaryClassificationManifest } from '../../lib/kinds/binary-classification/manifest';
import type { GoldenCase } from '../../lib/manifest/base';
import { primaryVersion } from '../../lib/rollout/route';
import { findVersion, listModels, type VersionEntry } from '../../lib/repository/model-repository';

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

/**
 * The parity fixture (scikit-learn's predict_proba) of a model's newest
 * trained version: versions added with model:add have none, and a test that
 * compares answers with it calls that version by `fixture.version`.
 */
export function parityFixture<T extends { version: string } = ParityFixture>(name = 'churn'): T {
  const trained = trainedVersions().filter((v) => v.name === name).at(-1);
  if (!trained) throw new Error(`${name} has no trained version`);
  return JSON.parse(readFileSync(path.join(trained.dir, 'parity.json'), 'utf8')) as T;
}

/**
 * The versions a models/<name>/train.py wrote (their manifests record the
 * training data), as opposed to those added with model:add, which record
 * the file they were added from. Each trained version must have parity.json.
 */
export function trainedVersions(): VersionEntry[] {
  return listModels(modelsDir)
    .flatMap((m) => m.versions)
    .filter((v) => v.manifest !== null && v.manifest.training !== undefined && !('added_from' in v.manifest.training));
}

/**
 * The version served when none is named (the one the model's traffic file
 * serves most, the newest without one), and its golden cases: what the
 * default and unversioned routes answer when the split gives one version all.
 */
export function served(name: string): { version: string; golden: GoldenCase[] } {
  const entry = primaryVersion(name, modelsDir);
  if (!entry.manifest) throw new Error(`${name}/${entry.version}: ${entry.problem}`);
  return { version: entry.version, golden: entry.manifest.golden.cases };
}

/** The committed manifest of a model's version (the served one when none is named), as the repository parsed it. */
export function manifestOf(name: string, version?: string): Manifest {
  const entry = findVersion(name, version ?? served(name).version, modelsDir);
  if (!entry.manifest) throw new Error(`${name}/${entry.version}: ${entry.problem}`);
  return entry.manifest;
}

/** The churn manifest, narrowed to its kind. */
export function churnManifest(): BinaryClassificationManifest {
  const manifest = manifestOf('churn');
  if (manifest.kind !== 'binary-classification') throw new Error('churn is not a binary classifier');
  return manifest;
}

/** A model's traffic file as GET /models/{name} and /health show it, or null without one. */
export function trafficOnDisk(name: string): unknown {
  const file = path.join(modelsDir, name, 'traffic.json');
  if (!existsSync(file)) return null;
  return { labels: {}, ...(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) };
}
