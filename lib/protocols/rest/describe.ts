import { kindOf } from '../../kinds';
import { noteModel } from '../../observability/request-facts';
import { primaryVersion, trafficView } from '../../rollout/route';
import { findManifest, listModels } from '../../repository/model-repository';

/**
 * GET /models: every model folder, from the manifests alone. A version whose
 * manifest is unusable is listed with the reason, so a broken folder is
 * visible without hiding the others.
 */
export function modelList(defaultName: string | undefined): Record<string, unknown> {
  const models = listModels().map((entry) => {
    const latest = entry.versions.at(-1)!;
    const problems = entry.versions.filter((v) => v.problem).map((v) => ({ version: v.version, problem: v.problem }));
    return {
      name: entry.name,
      kind: latest.manifest?.kind ?? null,
      description: latest.manifest?.description ?? null,
      versions: entry.versions.map((v) => v.version),
      latest: latest.version,
      ...(problems.length > 0 ? { invalid: problems } : {}),
    };
  });
  return { models, default: defaultName ?? null };
}

/** GET /models/{name}: what to send, what comes back, and how well it did. 503 for an unusable manifest. */
export function modelDetail(name: string, version?: string): Record<string, unknown> {
  // Without a version: the one the traffic split serves most (the newest without a traffic file).
  const { entry, manifest } = findManifest(name, version ?? primaryVersion(name).version);
  noteModel(entry.name, entry.version);
  const kind = kindOf(manifest);
  const training = (manifest.training ?? {}) as { metrics?: unknown };
  return {
    name: manifest.name,
    version: manifest.version,
    versions: entry.versions,
    traffic: trafficView(name),
    kind: manifest.kind,
    description: manifest.description,
    created: manifest.created,
    sha256: manifest.sha256,
    ...(manifest.source ? { source: manifest.source } : {}),
    ...kind.describe(manifest),
    request_schema: kind.requestSchema(manifest),
    metrics: training.metrics ?? null,
  };
}
