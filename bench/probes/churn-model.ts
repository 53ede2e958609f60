import type { BinaryClassificationManifest } from '../../lib/kinds/binary-classification/manifest';
import { loadModel, type Model } from '../../lib/model';
import { findVersion } from '../../lib/repository/model-repository';

/** The churn model of the models folder, loaded as the service loads it, for the probes that call lib/ directly (library.ts, batch-stages.ts). */
export async function loadChurn(): Promise<{ manifest: BinaryClassificationManifest; model: Model }> {
  const entry = findVersion('churn');
  const manifest = entry.manifest;
  if (manifest?.kind !== 'binary-classification') throw new Error(`churn is not a usable binary classifier: ${entry.problem ?? manifest?.kind}`);
  return { manifest, model: await loadModel(entry.dir, manifest) };
}
