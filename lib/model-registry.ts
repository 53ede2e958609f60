import { positiveIntegerFromEnv } from './env';
import { ModelLoadError, ModelUnavailable } from './errors';
import { loadModel, type Model } from './model';
import { resolveModel } from './model-catalog';

type ModelState = { ready: true; model: Model } | { ready: false; reason: string };

/**
 * Sessions cached per model version, for the container's life. Bounded so a
 * caller cycling through versions cannot exhaust memory; MAX_SESSIONS (default
 * 8) is far above the bundled models (2), which are therefore never evicted.
 */
export function maxSessions(): number {
  return positiveIntegerFromEnv('MAX_SESSIONS', 8);
}

const cache = new Map<string, Promise<ModelState>>();

async function load(dir: string): Promise<ModelState> {
  try {
    const model = await loadModel(dir);
    // On the process's performance timeline, so a probe (bench/probes/cold.js)
    // can tell when the session became ready without any hook in the code.
    performance.mark(`model-ready ${model.info.name}@${model.info.version}`, { detail: model.info });
    return { ready: true, model };
  } catch (error) {
    // Only our own reasons are shown to clients; anything else is unexpected.
    return { ready: false, reason: error instanceof ModelLoadError ? error.message : 'the model could not be loaded' };
  }
}

function evictOldest(): void {
  const oldest = cache.keys().next().value;
  if (oldest === undefined) return;
  const state = cache.get(oldest);
  cache.delete(oldest);
  // Lambda runs one request at a time per container, so nothing still uses it.
  void state?.then((s) => (s.ready ? s.model.release() : undefined)).catch(() => undefined);
}

/**
 * The state of a model version, loading it on first use. A failed load stays
 * failed for the container's life: the files in a deployed zip do not change,
 * so retrying would only fail again, slower. Throws ModelNotFound (404).
 */
export function modelState(name: string, version?: string): Promise<ModelState> {
  const ref = resolveModel(name, version);
  const key = `${ref.name}@${ref.version}`;
  let state = cache.get(key);
  if (state) {
    cache.delete(key); // most recently used goes last
  } else {
    state = load(ref.dir);
    if (cache.size >= maxSessions()) evictOldest();
  }
  cache.set(key, state);
  return state;
}

/** A ready model, or ModelNotFound (404) / ModelUnavailable (503) with the reason. */
export async function getModel(name: string, version?: string): Promise<Model> {
  const state = await modelState(name, version);
  if (!state.ready) throw new ModelUnavailable(`model unavailable: ${state.reason}`);
  return state.model;
}

/** How many sessions this container holds (the cache tests read it). */
export function cachedSessions(): number {
  return cache.size;
}
