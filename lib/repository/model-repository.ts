import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError, ModelNotFound, ModelUnavailable } from '../errors';
import type { Manifest } from '../kinds';
import { NAME_PATTERN, VERSION_PATTERN } from '../manifest/base';
import { parseManifest } from './parse-manifest';
import { parseTraffic, type Traffic } from './parse-traffic';
import { logger } from '../logger';
import { settings } from '../settings';
import { shorten } from '../shorten';
import { readModelFile } from '../model/model-files';
import { compareVersions } from './versions';
import { activeStore, type ModelStore } from './store/model-store';

/**
 * Which models and versions are deployed: the folders
 * models/<name>/<version>/ holding a model.json or an ONNX file, or with
 * MODEL_STORE the same layout in an S3 model store (./store), mirrored into
 * /tmp. Adding a folder (or pushing one) adds a model; no code changes. Reads manifests, never onnxruntime, and never throws for a
 * broken folder: a manifest that cannot be read or is invalid is recorded
 * with its reason, so the other models, the listing and readiness go on.
 */

export interface VersionEntry {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  /** The parsed manifest, or null with the reason it is not usable (read on first use). */
  readonly manifest: Manifest | null;
  readonly problem: string | null;
  /** Every version of the same model, oldest first. */
  readonly versions: readonly string[];
  /**
   * What the registry keeps a loaded version under: its folder, and with
   * WATCH_MODELS what the folder's files looked like, so that a version
   * whose files changed loads afresh and an unchanged one is not reloaded.
   */
  readonly key: string;
  /** A version in the model store: its files are downloaded when it loads. Null for a models folder's. */
  readonly store: StoreFiles | null;
}

/** What a version in the model store does that a folder's does not: bring its files to `dir`. */
export interface StoreFiles {
  /** Downloads (once) and checks the named files, by name with their sha256, into the version's folder. */
  fetch(wanted: ReadonlyMap<string, string>): Promise<void>;
  /** Whether the files are on disk, checked (no download: the models route asks). */
  has(files: readonly string[]): boolean;
  /** Which of these files the store does not hold. */
  missing(files: readonly string[]): string[];
}

export interface ModelEntry {
  name: string;
  /** Oldest first; without a traffic file the last is served when no version is named. */
  versions: VersionEntry[];
  /** models/<name>/traffic.json (read on first use): none, the parsed file, or why it cannot be used. */
  readonly traffic: { traffic: Traffic } | { problem: string } | null;
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

function readManifest(dir: string, name: string, version: string): { manifest: Manifest | null; problem: string | null } {
  try {
    const manifest = parseManifest(readModelFile(dir, 'model.json').toString('utf8'));
    if (manifest.name !== name || manifest.version !== version) {
      throw new ModelLoadError(`model.json describes ${shorten(manifest.name)} ${shorten(manifest.version)} but lies in the folder ${name}/${version}`);
    }
    return { manifest, problem: null };
  } catch (error) {
    if (!(error instanceof ModelLoadError)) logger.error('reading a manifest failed', { model: name, version, error: String(error) });
    const problem = error instanceof ModelLoadError ? error.message : 'model.json could not be read';
    return { manifest: null, problem };
  }
}

/**
 * A version folder whose manifest is parsed on first use, once: a container
 * that serves one model compiles the manifest schema of that model's kind
 * only (measured: listing parsed every manifest and compiled each kind's
 * schema, ~38 ms on the predict function's first call for two models).
 */
function versionEntry(root: string, name: string, version: string, versions: readonly string[], stamp: string | undefined, store: ModelStore | undefined): VersionEntry {
  const dir = path.join(root, name, version);
  let read: ReturnType<typeof readManifest> | undefined;
  const refused = store?.snapshot().problems.get(`${name}/${version}`);
  const parsed = () => (read ??= refused !== undefined ? { manifest: null, problem: refused } : readManifest(dir, name, version));
  return {
    name,
    version,
    dir,
    get manifest() {
      return parsed().manifest;
    },
    get problem() {
      return parsed().problem;
    },
    versions,
    key: stamp === undefined ? dir : `${dir}\n${stamp}`,
    store: store
      ? {
          fetch: (wanted) => store.fetch(name, version, wanted),
          has: (files) => store.hasFiles(name, version, files),
          missing: (files) => store.missingFiles(name, version, files),
        }
      : null,
  };
}

function readTraffic(root: string, name: string, versions: readonly string[], store: ModelStore | undefined): ModelEntry['traffic'] {
  const refused = store?.snapshot().problems.get(`${name}|traffic`);
  if (refused !== undefined) return { problem: refused };
  const file = path.join(root, name, 'traffic.json');
  if (!existsSync(file)) return null;
  try {
    return parseTraffic(readFileSync(file, 'utf8'), versions);
  } catch {
    return { problem: 'traffic.json could not be read' };
  }
}

function modelEntry(root: string, name: string, versions: readonly string[], stamps: ReadonlyMap<string, string> | undefined, store?: ModelStore): ModelEntry {
  let traffic: ModelEntry['traffic'] | undefined;
  return {
    name,
    versions: versions.map((version) => versionEntry(root, name, version, versions, stamps?.get(`${name}/${version}`), store)),
    get traffic() {
      if (traffic === undefined) traffic = readTraffic(root, name, versions, store);
      return traffic;
    },
  };
}

/**
 * A version folder holds a model.json, or at least an ONNX file: one whose
 * manifest was deleted is a broken version (503 "model.json is missing",
 * not ready), never a version that is not there (404) or, worse, a model
 * that silently serves its older version.
 */
function isVersionFolder(dir: string): boolean {
  if (existsSync(path.join(dir, 'model.json'))) return true;
  try {
    return readdirSync(dir).some((file) => file.endsWith('.onnx'));
  } catch {
    return false;
  }
}

/** Each models folder as read, with what its files looked like then (WATCH_MODELS only). */
const repositories = new Map<string, { models: ModelEntry[]; fingerprint: string | undefined }>();

/**
 * What the files that make up a models folder look like now: each model's
 * traffic file and each version folder's files, with their size, times and
 * inode (a file replaced by a rename, or copied keeping its mtime, is a
 * change too), by "name/version". Cheap (a few stat calls per version), and
 * only asked for with WATCH_MODELS, at each request of `npm start`, where
 * model:add and model:traffic change the folder under running workers.
 */
function fingerprintOf(root: string): { whole: string; stamps: Map<string, string> } {
  const stamps = new Map<string, string>();
  const stamp = (file: string) => {
    try {
      const { size, mtimeMs, ctimeMs, ino } = statSync(file);
      return `${size}:${mtimeMs}:${ctimeMs}:${ino}`;
    } catch {
      return '-';
    }
  };
  for (const name of subfolders(root, nameShape).sort()) {
    stamps.set(`${name}|traffic`, stamp(path.join(root, name, 'traffic.json')));
    for (const version of subfolders(path.join(root, name), versionShape).sort()) {
      const dir = path.join(root, name, version);
      let files: string[] = [];
      try {
        files = readdirSync(dir).sort();
      } catch {
        // a folder removed while being read: its absence is the change
      }
      stamps.set(`${name}/${version}`, files.map((f) => `${f} ${stamp(path.join(dir, f))}`).join(','));
    }
  }
  return { whole: [...stamps].map(([key, value]) => `${key}=${value}`).join('\n'), stamps };
}

/** Where the served models are read from: the model store's mirror with MODEL_STORE, else MODELS_DIR. */
export function servedRoot(): string {
  return activeStore()?.root ?? settings.modelsDir();
}

/**
 * With MODEL_STORE: lists the store if its listing is older than
 * MODEL_STORE_RELIST_SECONDS (./store/model-store.ts), before a request reads
 * the repository. Without: nothing to do. A 503 only when the store was never
 * listed.
 */
export { activeStore };

export async function syncRepository(): Promise<void> {
  await activeStore()?.sync();
}

/**
 * Every model with at least one version folder, by name. Read once per
 * container (and models folder): a deployed zip's files never change, and
 * this is on every request's path. With WATCH_MODELS (the local stage) it is
 * read again whenever the folder's files have changed since, so a change
 * made while `npm start` runs reaches every worker at its next request; a
 * version whose own files changed has a new key, which the registry loads
 * afresh (the others keep theirs, and their loaded sessions). With a model
 * store, the same holds of its listing (syncRepository).
 */
export function listModels(root = servedRoot()): ModelEntry[] {
  const store = activeStore();
  if (store && root === store.root) return storeModels(store);
  const cached = repositories.get(root);
  // Taken before reading, so a change made during the read is seen by the next request.
  const fingerprint = settings.watchModels() ? fingerprintOf(root) : undefined;
  let models = cached !== undefined && cached.fingerprint === fingerprint?.whole ? cached.models : undefined;
  if (!models) {
    models = subfolders(root, nameShape)
      .sort()
      .map((name) => {
        const versions = subfolders(path.join(root, name), versionShape)
          .filter((version) => isVersionFolder(path.join(root, name, version)))
          .sort(compareVersions);
        return modelEntry(root, name, versions, fingerprint?.stamps);
      })
      .filter((entry) => entry.versions.length > 0);
    repositories.set(root, { models, fingerprint: fingerprint?.whole });
  }
  return models;
}

/** The store's models as last listed, read again only when the listing changed. */
function storeModels(store: ModelStore): ModelEntry[] {
  const snapshot = store.snapshot();
  const generation = `store ${snapshot.generation}`;
  const cached = repositories.get(store.root);
  if (cached?.fingerprint === generation) return cached.models;
  const models = [...snapshot.models.keys()].sort().map((name) => modelEntry(store.root, name, snapshot.models.get(name)!, snapshot.stamps, store));
  repositories.set(store.root, { models, fingerprint: generation });
  return models;
}

/** Forgets what was read, so a tool that writes model folders (model:add, tests) sees them anew. */
export function forgetRepository(): void {
  repositories.clear();
}

/** A deployed model, or ModelNotFound (404) naming those there are. */
export function findModel(name: string, root = servedRoot()): ModelEntry {
  const models = listModels(root);
  const entry = models.find((m) => m.name === name);
  if (!entry) {
    const known = models.map((m) => m.name).join(', ') || 'none';
    throw new ModelNotFound(`no model named "${shorten(name)}"; deployed models: ${known}`);
  }
  return entry;
}

/** A deployed model version (the newest when none is named), or ModelNotFound (404) naming what exists. On every request's path: it allocates nothing. */
export function findVersion(name: string, version?: string, root = servedRoot()): VersionEntry {
  return versionIn(findModel(name, root), version);
}

/** A version of a deployed model (the newest when none is named), or ModelNotFound (404) naming those there are. */
export function versionIn(model: ModelEntry, version?: string): VersionEntry {
  const found = version === undefined ? model.versions.at(-1)! : model.versions.find((v) => v.version === version);
  if (!found) throw new ModelNotFound(`model "${model.name}" has no version "${shorten(version ?? '')}"; versions: ${model.versions.map((v) => v.version).join(', ')}`);
  return found;
}

/** A version whose manifest is valid, or ModelUnavailable (503) with the reason it is not. */
export function findManifest(name: string, version?: string): { entry: VersionEntry; manifest: Manifest } {
  return usableManifest(findVersion(name, version));
}

/** The version's manifest, or ModelUnavailable (503) with the reason it cannot be used. */
export function usableManifest(entry: VersionEntry): { entry: VersionEntry; manifest: Manifest } {
  if (!entry.manifest) throw new ModelUnavailable(`model unavailable: ${entry.problem}`);
  return { entry, manifest: entry.manifest };
}
