// npm run image:task-root -- [<zip> [<models dir> [<out>]]]: the container
// image's /var/task (README, "Large models", "Container image"): the
// packaged zip's files but models/, and the models folder's version folders
// as the zip would carry them (scripts/model-sizing.js, packagedFiles) with
// their traffic files. The Dockerfile copies this folder; the package test
// (tests/package/image.test.ts) assembles it the same way and runs it in
// plain Node. Defaults: .serverless/ml-inference.zip (`serverless package`),
// models/, .image/task.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { modelsIn, packagedFiles, type SizedModel } from './model-sizing';

export const DEFAULT_OUT = '.image/task';

/** Writes the task root into `out` (replacing what is there); the models it carries, as "name/version" with their bytes. */
export function assembleTaskRoot(zip: string, modelsDir: string, out: string): SizedModel[] {
  if (!existsSync(zip)) throw new Error(`no packaged zip at ${zip}: run \`npx serverless package --stage <stage>\` first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // The code exactly as Lambda would unzip it; its own models are the models folder's below.
  execFileSync('unzip', ['-q', zip, '-x', 'models/*', '-d', out]);
  const models = modelsIn(modelsDir);
  for (const { label, dir } of models) {
    mkdirSync(path.join(out, 'models', label), { recursive: true });
    for (const file of packagedFiles(dir)) copyFileSync(path.join(dir, file), path.join(out, 'models', label, file));
  }
  for (const name of new Set(models.map((m) => m.label.split('/')[0]!))) {
    const traffic = path.join(modelsDir, name, 'traffic.json');
    if (existsSync(traffic)) copyFileSync(traffic, path.join(out, 'models', name, 'traffic.json'));
  }
  return models.map(({ label, bytes }) => ({ label, bytes }));
}

if (require.main === module) {
  const [zip = '.serverless/ml-inference.zip', modelsDir = 'models', out = DEFAULT_OUT] = process.argv.slice(2);
  try {
    const models = assembleTaskRoot(zip, modelsDir, out);
    const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(`wrote ${out}: the code of ${zip} and ${models.length} model versions from ${modelsDir} (${models.map((m) => `${m.label} ${mb(m.bytes)} MB`).join(', ')})`);
    console.log(`next: docker build --platform linux/amd64 -t ml-inference .   (README, "Container image")`);
  } catch (error) {
    console.error(`image:task-root: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
