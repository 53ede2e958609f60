import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { forgetRepository, listModels } from '../../lib/repository/model-repository';
import { modelsDir, trainedVersions } from './models';
import { changeSettings } from './settings';

/**
 * A fresh models folder in /tmp for a test that adds or breaks models, with
 * copies of the manifests and ONNX files of the bundled versions (those the
 * training scripts wrote, not any a user added to models/ with model:add,
 * so a test's expectations hold whatever else models/ holds) and their
 * traffic files (true), of the named "name/version" folders, or of none.
 * The handlers are pointed at it through MODELS_DIR (useModelsDir), as the
 * service reads it.
 */
export function scratchModelsDir(copy: boolean | readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'models-'));
  const folders = copy === true ? trainedVersions().map((v) => `${v.name}/${v.version}`) : copy || [];
  for (const folder of folders) {
    // The manifest, the ONNX file and the files the manifest lists (labels, tokenizer, golden pictures).
    const manifest = JSON.parse(readFileSync(path.join(modelsDir, folder, 'model.json'), 'utf8')) as { files?: Record<string, unknown> };
    for (const file of ['model.json', 'model.onnx', ...Object.keys(manifest.files ?? {})]) cpSync(path.join(modelsDir, folder, file), path.join(dir, folder, file));
  }
  // The bundled models' traffic files too: not one a model:add of a new version wrote (the model then has versions not copied).
  if (copy === true) {
    for (const { name, versions } of listModels(modelsDir)) {
      const traffic = path.join(modelsDir, name, 'traffic.json');
      if (existsSync(traffic) && versions.every((v) => folders.includes(`${name}/${v.version}`))) cpSync(traffic, path.join(dir, name, 'traffic.json'));
    }
  }
  return dir;
}

/** Points the service at a models folder: MODELS_DIR, through resetSettings (helpers/settings.ts). */
export function useModelsDir(dir: string): void {
  changeSettings({ MODELS_DIR: dir });
  forgetRepository();
}

/** Points the service back at its own models folder and deletes the scratch one. */
export function removeModelsDir(dir: string): void {
  changeSettings({ MODELS_DIR: undefined });
  forgetRepository();
  rmSync(dir, { recursive: true, force: true });
}
