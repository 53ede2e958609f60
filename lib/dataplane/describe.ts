import type { Manifest } from '../kinds';
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

