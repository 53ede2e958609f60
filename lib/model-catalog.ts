import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ModelNotFound } from './errors';
import { NAME_PATTERN, VERSION_PATTERN } from './manifest';
import { shorten } from './shorten';

/**
 * Which models and versions are deployed: the folders models/<name>/<version>/.
 * Adding a folder adds a model; no code changes. Reads folder names only
 * (no onnxruntime), so metadata routes stay light.
 */

/**
 * In the TypeScript sources this file sits in lib/, in the Lambda bundle the
 * code is inlined into handlers/<name>.js; both are one level below the root
 * that holds models/, so one relative path serves both. (LAMBDA_TASK_ROOT is
 * not used: `serverless invoke local` sets it to /var/task.) MODELS_DIR
 * overrides it.
 */
export function modelsRoot(): string {
  return process.env.MODELS_DIR ?? path.resolve(__dirname, '..', 'models');
}

/** Orders versions like 1.2.10 > 1.2.9 > 1.2; non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/);
  const pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (x !== '' && y !== '' && Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

export interface CatalogEntry {
  name: string;
  /** Oldest first; the last is served when no version is named. */
  versions: string[];
}

const nameShape = new RegExp(NAME_PATTERN);
const versionShape = new RegExp(VERSION_PATTERN);

function subfolders(dir: string, shape: RegExp): string[] {
  try {
    // Only name-shaped folders: __pycache__ or .ipynb_checkpoints beside the
    // versions must never be taken for a model or for the newest version.
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && shape.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** A version is a version-shaped folder holding a manifest (not data/, not __pycache__/). */
function versionFolders(modelDir: string): string[] {
  return subfolders(modelDir, versionShape)
    .filter((version) => existsSync(path.join(modelDir, version, 'model.json')))
    .sort(compareVersions);
}

const catalogs = new Map<string, CatalogEntry[]>();

/**
 * Every model with at least one version, by name. Read once per container
 * (and models root): a deployed zip's folders never change, and this is on
 * every request's path.
 */
export function listModels(root = modelsRoot()): CatalogEntry[] {
  let catalog = catalogs.get(root);
  if (!catalog) {
    catalog = subfolders(root, nameShape)
      .sort()
      .map((name) => ({ name, versions: versionFolders(path.join(root, name)) }))
      .filter((entry) => entry.versions.length > 0);
    catalogs.set(root, catalog);
  }
  return catalog;
}

export interface ModelRef {
  name: string;
  version: string;
  dir: string;
  /** Every deployed version of the model, oldest first. */
  versions: string[];
}

const resolved = new Map<string, ModelRef>();

/**
 * A deployed model version (the newest when none is named), or ModelNotFound
 * naming what exists. Cached like the catalog: it is on every request's path.
 */
export function resolveModel(name: string, version?: string, root = modelsRoot()): ModelRef {
  const key = `${root}\0${name}\0${version ?? ''}`;
  let ref = resolved.get(key);
  if (!ref) {
    ref = findModel(name, version, root);
    resolved.set(key, ref);
  }
  return ref;
}

function findModel(name: string, version: string | undefined, root: string): ModelRef {
  const models = listModels(root);
  const entry = models.find((m) => m.name === name);
  if (!entry) {
    const known = models.map((m) => m.name).join(', ') || 'none';
    throw new ModelNotFound(`no model named "${shorten(name)}"; deployed models: ${known}`);
  }
  const chosen = version ?? entry.versions.at(-1)!;
  if (!entry.versions.includes(chosen)) {
    throw new ModelNotFound(`model "${name}" has no version "${shorten(chosen)}"; versions: ${entry.versions.join(', ')}`);
  }
  return { name, version: chosen, dir: path.join(root, name, chosen), versions: entry.versions };
}
