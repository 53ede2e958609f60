import { preload as preloadVersions } from '../registry';
import { findModel } from '../repository/model-repository';
import { trafficVersions } from '../rollout/route';

/**
 * Starts loading a model without waiting, during Lambda's init: every version
 * its traffic file serves or shadows, or the newest. An unknown name or an
 * unusable traffic file is left for the routes to report.
 */
export function preload(name: string | undefined): void {
  if (name === undefined) return;
  try {
    const model = findModel(name);
    const state = model.traffic;
    preloadVersions(trafficVersions(model, state !== null && 'traffic' in state ? state.traffic : null));
  } catch {
    // No such model: every call will say so.
  }
}
