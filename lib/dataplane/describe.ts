import { ModelLoadError } from '../errors';
import type { Manifest } from '../kinds';
import { verifiedCompanionFiles, verifiedModelFile } from '../model/model-files';
import type { ServedFacts } from '../observability/request-facts';
import { findModel, listModels, usableManifest, type ModelEntry, type VersionEntry } from '../repository/model-repository';
import { describedVersion } from '../rollout/route';
import { knowingSync } from './facts';

/**
 * The data plane's metadata, from the manifests alone: this module loads no
 * model and no onnxruntime, so the models function, which imports only it,
 * stays small.
 */

export interface Described {
  model: ModelEntry;
  entry: VersionEntry;
  manifest: Manifest;
  facts: ServedFacts;
}

/** What can be told of a version without loading it: its model file and other files are there and are the ones the manifest's sha256s name. */
export type FileCheck = { ready: true } | { ready: false; reason: string };

// Per version entry (a repository read): a deployed zip's files do not change.
const checkedFiles = new WeakMap<VersionEntry, FileCheck>();

/**
 * The version's model file against its manifest, as loading checks it first
 * (no onnxruntime: the golden cases run where the model loads,
 * /v2/models/{name}/ready).
 */
export function fileCheck(entry: VersionEntry, manifest: Manifest): FileCheck {
  // A model store's version is not downloaded to be described (the models
  // function would fetch every model): its files must be in the store, and
  // their sha256s are checked as they download, before it loads.
  if (entry.store) {
    const missing = entry.store.missing([manifest.file, ...Object.keys(manifest.files ?? {})]);
    return missing.length === 0 ? { ready: true } : { ready: false, reason: `${missing[0]} is missing from the model store` };
  }
  let checked = checkedFiles.get(entry);
  if (!checked) {
    try {
      verifiedModelFile(entry.dir, manifest);
      verifiedCompanionFiles(entry.dir, manifest);
      checked = { ready: true };
    } catch (error) {
      checked = { ready: false, reason: error instanceof ModelLoadError ? error.message : 'the model file could not be read' };
    }
    checkedFiles.set(entry, checked);
  }
  return checked;
}

/**
 * Metadata of a version, from its manifest alone (no onnxruntime): the one
 * named, or the model's primary version. 404 for an unknown model or
 * version; 503 for a manifest or traffic file that cannot be used.
 */
export function describe(name: string, version?: string): Described {
  const model = findModel(name);
  const facts: ServedFacts = { model: model.name };
  return knowingSync(facts, () => {
    const entry = describedVersion(model, version);
    facts.version = entry.version;
    return { model, ...usableManifest(entry), facts };
  });
}

/** Every model in the repository, for the listing routes. */
export function models(): ModelEntry[] {
  return listModels();
}

