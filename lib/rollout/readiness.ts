import { ModelUnavailable } from '../errors';
import { modelState } from '../registry';
import type { ModelEntry } from '../repository/model-repository';
import { servableVersions } from './route';

/**
 * Models whose traffic file's versions were all found ready: checked once,
 * not on every request, since a deployed zip's files do not change (an
 * evicted session reloads from the same files when next used).
 */
const trafficReady = new WeakSet<ModelEntry>();

/**
 * Every version a traffic file can serve must be ready before any is served
 * by it: a file naming a version that cannot load makes the routes that read
 * it answer 503 with the reason (README, "Releasing a new version"). A file
 * that cannot be used is reported by routing (./route.ts), not here.
 */
export async function assertTrafficReady(model: ModelEntry): Promise<void> {
  const state = model.traffic;
  if (state === null || 'problem' in state || trafficReady.has(model)) return;
  for (const version of servableVersions(model, state.traffic)) {
    const loaded = await modelState(version);
    if (!loaded.ready) throw new ModelUnavailable(`model unavailable: traffic.json names version "${version.version}", which is not ready: ${loaded.reason}`);
  }
  trafficReady.add(model);
}
