import { describe, fileCheck, models } from '../../dataplane/describe';
import type { Answer } from '../../http/dispatch';
import { jsonResponse } from '../../http/response';
import { kindOf, type Manifest } from '../../kinds';
import { BASELINE_FILE } from '../../monitoring/baseline';
import { trafficView } from '../../rollout/route';

/**
 * GET /models: every model folder, from the manifests alone. A version whose
 * manifest is unusable is listed with the reason, so a broken folder is
 * visible without hiding the others.
 */
export function modelList(defaultName: string | undefined): Answer {
  const listed = models().map((entry) => {
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
  return { response: jsonResponse(200, { models: listed, default: defaultName ?? null }) };
}

/** What monitoring knows of a version (README, "Monitoring"): its baseline file and sha256, and the fields never captured. */
function monitoringView(manifest: Manifest): Record<string, unknown> {
  const baseline = manifest.files?.[BASELINE_FILE];
  return { baseline: baseline ? { file: BASELINE_FILE, sha256: baseline.sha256 } : null, not_captured: Object.keys(manifest.capture ?? {}) };
}

/**
 * GET /models/{name} and /models/{name}/versions/{version}: what to send,
 * what comes back, and how well it did; without a version, the one the
 * traffic split serves most (the newest without a traffic file). 503 for an
 * unusable manifest.
 */
export function modelDetail(name: string, version?: string): Answer {
  const { model, manifest, entry, facts } = describe(name, version);
  const kind = kindOf(manifest);
  const training = (manifest.training ?? {}) as { metrics?: unknown };
  const body = {
    name: manifest.name,
    version: manifest.version,
    versions: entry.versions,
    traffic: trafficView(model),
    kind: manifest.kind,
    description: manifest.description,
    created: manifest.created,
    sha256: manifest.sha256,
    ...(manifest.source ? { source: manifest.source } : {}),
    ...kind.describe(manifest),
    request_schema: kind.requestSchema(manifest),
    metrics: training.metrics ?? null,
    monitoring: monitoringView(manifest),
    // The manifest and the model file as loading checks them (the golden cases: /v2/models/{name}/ready).
    ...fileCheck(entry, manifest),
  };
  return { response: jsonResponse(200, body), facts };
}
