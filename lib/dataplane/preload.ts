import { preload as preloadVersions } from '../registry';
import { activeStore, findModel, syncRepository } from '../repository/model-repository';
import { trafficVersions } from '../rollout/route';

/**
 * Starts loading a model without waiting, during Lambda's init: every version
 * its traffic file serves or shadows, or the newest. An unknown name or an
 * unusable traffic file is left for the routes to report. From a models
 * folder this starts before the module finishes loading (no await: the file
 * is read and hashed and the session built while the first event is on its
 * way); from a model store, once the store is listed (the version's files
 * are then downloaded, still during init).
 */
export function preload(name: string | undefined): void {
  if (name === undefined) return;
  if (activeStore()) void syncRepository().then(() => preloadNow(name), () => undefined);
  else preloadNow(name);
}

function preloadNow(name: string): void {
  try {
    const model = findModel(name);
    const state = model.traffic;
    preloadVersions(trafficVersions(model, state !== null && 'traffic' in state ? state.traffic : null));
  } catch {
    // No such model: every call will say so.
  }
}
