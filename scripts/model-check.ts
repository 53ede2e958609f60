// npm run model:check: loads every version folder under the models folder
// (MODELS_DIR, as the service reads it) as the service would: manifest,
// sha256, the graph's signature against the manifest, and the golden cases.
// Exits 1 if any folder fails.
import { loadModel } from '../lib/model';
import { listModels } from '../lib/repository/model-repository';
import { ModelLoadError } from '../lib/errors';

async function main(): Promise<number> {
  let failed = 0;
  const models = listModels();
  if (models.length === 0) console.log('no model folders found');
  for (const { versions } of models) {
    for (const entry of versions) {
      const where = `${entry.name}/${entry.version}`;
      if (!entry.manifest) {
        failed++;
        console.log(`FAIL ${where}: ${entry.problem}`);
        continue;
      }
      try {
        const model = await loadModel(entry.dir, entry.manifest);
        const { kind, loadMs, goldenMs } = model.info;
        console.log(`ok   ${where} (${kind}): ${entry.manifest.golden.cases.length} golden cases pass; loaded in ${loadMs} ms, golden ${goldenMs} ms`);
        await model.release();
      } catch (error) {
        failed++;
        console.log(`FAIL ${where}: ${error instanceof ModelLoadError ? error.message : String(error)}`);
      }
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
