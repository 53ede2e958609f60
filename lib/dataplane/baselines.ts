import { ServiceError } from '../errors';
import { verifiedCompanionFiles } from '../model/model-files';
import { findManifest } from '../repository/model-repository';
import { BASELINE_FILE, parseBaseline, type Baseline } from '../monitoring/baseline';

/**
 * A version's baseline as the monitor reads it: from the models folder
 * (MODELS_DIR, the package's models/ when deployed), checked against the
 * manifest's sha256 as loading checks it. A string says why there is none.
 */
export function baselineFromModels(model: string, version: string): Baseline | string {
  try {
    const { entry, manifest } = findManifest(model, version);
    if (manifest.files?.[BASELINE_FILE] === undefined) return `${model} ${version} has no ${BASELINE_FILE} (npm run model:baseline -- ${model} --version ${version} <data> writes one)`;
    const files = verifiedCompanionFiles(entry.dir, { files: { [BASELINE_FILE]: manifest.files[BASELINE_FILE] } });
    return parseBaseline(files.get(BASELINE_FILE)!);
  } catch (error) {
    return error instanceof ServiceError || error instanceof Error ? error.message : 'the version cannot be read';
  }
}
