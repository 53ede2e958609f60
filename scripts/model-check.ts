// npm run model:check: loads every version folder under the models folder
// (MODELS_DIR, as the service reads it) as the service would: manifest,
// sha256, the graph's signature against the manifest, and the golden cases;
// then each traffic.json (usable, every version it names loads).
// Exits 1 if any folder or traffic file fails.
import { settings } from '../lib/settings';
import { loadModel } from '../lib/model';
import { listModels } from '../lib/repository/model-repository';
import { ModelLoadError } from '../lib/errors';
import { trafficVersions } from '../lib/rollout/route';

async function main(): Promise<number> {
  let failed = 0;
  // The models folder, even with MODEL_STORE set: model:check checks what model:push would send.
  const models = listModels(settings.modelsDir());
  if (models.length === 0) console.log('no model folders found');
  for (const model of models) {
    const { versions } = model;
    const loaded = new Map<string, boolean>();
    for (const entry of versions) {
      const where = `${entry.name}/${entry.version}`;
      if (!entry.manifest) {
        failed++;
        console.log(`FAIL ${where}: ${entry.problem}`);
        continue;
      }
      try {
        const loadedModel = await loadModel(entry.dir, entry.manifest);
        const { kind, loadMs, goldenMs } = loadedModel.info;
        console.log(`ok   ${where} (${kind}): ${entry.manifest.golden.cases.length} golden cases pass; loaded in ${loadMs} ms, golden ${goldenMs} ms`);
        loaded.set(entry.version, true);
        await loadedModel.release();
      } catch (error) {
        failed++;
        console.log(`FAIL ${where}: ${error instanceof ModelLoadError ? error.message : String(error)}`);
      }
    }
    // The traffic file: usable, and every version it serves or shadows loads.
    const traffic = model.traffic;
    if (traffic === null) continue;
    if ('problem' in traffic) {
      failed++;
      console.log(`FAIL ${model.name}/traffic.json: ${traffic.problem}`);
      continue;
    }
    const named = trafficVersions(model, traffic.traffic).map((v) => v.version);
    const broken = named.filter((v) => !loaded.get(v));
    if (broken.length > 0) {
      failed++;
      console.log(`FAIL ${model.name}/traffic.json: names ${broken.join(', ')}, which do not load`);
    } else {
      console.log(`ok   ${model.name}/traffic.json: ${Object.entries(traffic.traffic.split).map(([v, w]) => `${v} ${w}%`).join(', ')}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
