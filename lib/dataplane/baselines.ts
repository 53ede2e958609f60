import { ServiceError } from '../errors';
import { verifiedCompanionFiles } from '../model/model-files';
import { findManifest } from '../repository/model-repository';
import { BASELINE_FILE, parseBaseline, type Baseline } from '../monitoring/baseline';

/**
 * A version's baseline as the monitor reads it: from the models folder
 * (MODELS_DIR, the package's models/ when deployed, or the model store), checked against the
 * manifest's sha256 as loading checks it. A string says why there is none.
 */
export async function baselineFromModels(model: string, version: string): Promise<Baseline | string> {
  try {
    const { entry, manifest } = findManifest(model, version);
    const recorded = manifest.files?.[BASELINE_FILE];
    if (recorded === undefined) return `${model} ${version} has no ${BASELINE_FILE} (npm run model:baseline -- ${model} --version ${version} <data> writes one)`;
    // From a model store, only the baseline comes to /tmp, not the model.
    if (entry.store) await entry.store.fetch(new Map([[BASELINE_FILE, recorded.sha256]]));
    const files = verifiedCompanionFiles(entry.dir, { files: { [BASELINE_FILE]: recorded } });
    return parseBaseline(files.get(BASELINE_FILE)!);
  } catch (error) {
    return error instanceof ServiceError || error instanceof Error ? error.message : 'the version cannot be read';
  }
}
