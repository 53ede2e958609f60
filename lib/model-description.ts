import type { Manifest } from './manifest';
import { listModels, resolveModel, type CatalogEntry } from './model-catalog';
import { readManifest } from './model-files';
import { recordSchema } from './tasks/schemas';

/** One line per model for GET /models. */
export function modelList(defaultName: string | undefined): Record<string, unknown> {
  const models = listModels().map((entry: CatalogEntry) => {
    const latest = entry.versions.at(-1)!;
    const manifest = readManifest(resolveModel(entry.name, latest).dir);
    return { name: entry.name, task: manifest.task, description: manifest.description, versions: entry.versions, latest };
  });
  return { models, default: defaultName ?? null };
}

function inputs(manifest: Manifest): unknown[] {
  if (manifest.task === 'text-classification') {
    return [{ name: manifest.text.field, type: 'text', maxLength: manifest.text.maxLength }];
  }
  return manifest.features;
}

/** GET /models/{name}: what to send, what comes back, and how well it did. */
export function modelDetail(name: string, version?: string): Record<string, unknown> {
  const ref = resolveModel(name, version);
  const manifest = readManifest(ref.dir);
  const training = manifest.training as { metrics?: unknown };
  return {
    name: manifest.name,
    version: manifest.version,
    versions: ref.versions,
    task: manifest.task,
    description: manifest.description,
    created: manifest.created,
    sha256: manifest.sha256,
    inputs: inputs(manifest),
    ...(manifest.task === 'text-classification' ? { labels: manifest.labels } : {}),
    output: manifest.output,
    request_schema: recordSchema(manifest),
    metrics: training.metrics ?? null,
  };
}
