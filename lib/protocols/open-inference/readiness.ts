import { ModelUnavailable } from '../../errors';
import { modelState, primaryModel } from '../../registry';
import { noteModel } from '../../observability/request-facts';
import { findManifest, listModels } from '../../repository/model-repository';
import { primaryVersion } from '../../rollout/route';

/** Model ready: the version loads and passes its checks and golden cases. An unusable manifest: 503 with the reason. */
export async function modelReady(name: string, version?: string): Promise<{ name: string; ready: boolean; reason?: string }> {
  // Without a version: the one the traffic split serves most (the newest without a traffic file).
  const { entry } = findManifest(name, version ?? primaryVersion(name).version);
  noteModel(entry.name, entry.version);
  if (version !== undefined) {
    const state = await modelState(name, version);
    return state.ready ? { name, ready: true } : { name, ready: false, reason: state.reason };
  }
  // Unversioned: every version the traffic file can serve, as the unversioned routes need them.
  try {
    await primaryModel(name, { note: false });
    return { name, ready: true };
  } catch (error) {
    if (error instanceof ModelUnavailable) return { name, ready: false, reason: error.message.replace(/^model unavailable: /, '') };
    throw error;
  }
}

/**
 * Server ready: every version each model serves (its traffic file's, or the
 * newest) is ready, as the
 * protocol defines it ("all models ready"). A folder whose manifest is
 * unusable is not a model, so it does not hold readiness back; a valid model
 * that fails to load or its golden cases does. The spec names the field of
 * this object "live"; "ready" is added beside it because that is what
 * KServe's servers and its OpenAPI document return.
 */
export async function serverReady(): Promise<{ live: boolean; ready: boolean; not_ready?: string[] }> {
  const served = listModels().filter((m) => m.versions.at(-1)!.manifest !== null);
  const states = await Promise.all(served.map((m) => primaryModel(m.name, { note: false }).then(() => ({ ready: true }), () => ({ ready: false }))));
  const notReady = served.filter((_, i) => !states[i]!.ready).map((m) => m.name);
  const ready = notReady.length === 0;
  return ready ? { live: true, ready } : { live: false, ready, not_ready: notReady };
}

