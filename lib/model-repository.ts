import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from './errors';
import { VERSION_PATTERN } from './manifest';

const versionName = new RegExp(VERSION_PATTERN);

/**
 * Where model folders live: models/<name>/<version>/. In the TypeScript
 * sources this file sits in lib/, in the Lambda bundle the code is inlined
 * into handlers/<name>.js; both are one level below the root that holds
 * models/, so one relative path serves both. (LAMBDA_TASK_ROOT is not used:
 * `serverless invoke local` sets it to /var/task.) MODELS_DIR overrides it.
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

/** The folder of a model's newest version. */
export function latestModelDir(name: string, root = modelsRoot()): string {
  const modelDir = path.join(root, name);
  let versions: string[];
  try {
    versions = readdirSync(modelDir, { withFileTypes: true })
      // Only version-shaped folders: __pycache__ or .ipynb_checkpoints beside
      // the versions must never be taken for the newest one.
      .filter((entry) => entry.isDirectory() && versionName.test(entry.name))
      .map((entry) => entry.name);
  } catch {
    throw new ModelLoadError(`no model named "${name}" is deployed`);
  }
  const latest = versions.sort(compareVersions).at(-1);
  if (latest === undefined) throw new ModelLoadError(`model "${name}" has no version folder`);
  return path.join(modelDir, latest);
}
