import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetRepository } from '../../lib/repository/model-repository';
import { modelsDir } from './models';

/**
 * A fresh models folder in /tmp for a test that adds or breaks models, with
 * copies of the bundled models' manifests and ONNX files when asked. The
 * handlers are pointed at it through MODELS_DIR, as the service reads it.
 */
export function scratchModelsDir(withBundled: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'models-'));
  if (withBundled) {
    for (const name of readdirSync(modelsDir).filter((n) => /^[a-z0-9]/.test(n))) {
      for (const version of readdirSync(path.join(modelsDir, name)).filter((v) => /^[0-9]/.test(v))) {
        for (const file of ['model.json', 'model.onnx']) {
          cpSync(path.join(modelsDir, name, version, file), path.join(dir, name, version, file));
        }
      }
    }
  }
  return dir;
}

export function useModelsDir(dir: string): void {
  process.env.MODELS_DIR = dir;
  forgetRepository();
}

/** Points the service back at its own models folder and deletes the scratch one. */
export function removeModelsDir(dir: string): void {
  delete process.env.MODELS_DIR;
  forgetRepository();
  rmSync(dir, { recursive: true, force: true });
}
