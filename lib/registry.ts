import { ModelLoadError, ModelUnavailable } from './errors';
import { loadModel, type Model } from './model';
import { noteModel } from './observability/request-facts';
import { traced } from './observability/tracing';
import { findModel, findVersion, type ModelEntry, type VersionEntry } from './repository/model-repository';
import { primaryVersion, routeRequest, servableVersions, trafficVersions, type RouteChoice, type Routed } from './rollout/route';
import { settings } from './settings';

export type ModelState = { ready: true; model: Model } | { ready: false; reason: string };

/**
 * Loaded models, one per version, for the container's life. Bounded so a
 * caller cycling through versions cannot exhaust memory; MAX_SESSIONS
 * (default 8) is far above the bundled models, which are never evicted.
 */
const cache = new Map<string, Promise<ModelState>>();

async function load(entry: VersionEntry): Promise<ModelState> {
  const { manifest, problem } = entry;
  if (!manifest) return { ready: false, reason: problem ?? 'model.json is invalid' };
  try {
    const model = await traced('model load', () => loadModel(entry.dir, manifest));
    // On the process's performance timeline, so a probe (bench/probes/cold.js)
    // can tell when the model became ready without any hook in the code.
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
  return stateOf(findVersion(name, version));
}

function stateOf(entry: VersionEntry): Promise<ModelState> {
  let state = cache.get(entry.dir);
  if (state) {
    cache.delete(entry.dir); // most recently used goes last
  } else {
    state = load(entry);
    if (cache.size >= settings.maxSessions()) evictOldest();
  }
  cache.set(entry.dir, state);
  return state;
}

/** The version's model, ready, or ModelUnavailable (503) with the reason it is not. */
async function readyModel(entry: VersionEntry): Promise<Model> {
  const state = await stateOf(entry);
  if (!state.ready) throw new ModelUnavailable(`model unavailable: ${state.reason}`);
  return state.model;
}

export interface ServedModel {
  model: Model;
  routed: Routed;
}

/**
 * Every version a traffic file can serve must be ready before any is served
 * by it: a file naming a version that cannot load makes the routes that read
 * it answer 503 with the reason (README, "Releasing a new version").
 */
async function assertTrafficReady(model: ModelEntry): Promise<void> {
  const state = model.traffic;
  if (state === null || 'problem' in state || trafficReady.has(model)) return;
  for (const version of servableVersions(model, state.traffic)) {
    const loaded = await stateOf(version);
    if (!loaded.ready) throw new ModelUnavailable(`model unavailable: traffic.json names version "${version.version}", which is not ready: ${loaded.reason}`);
  }
  trafficReady.add(model);
}

/**
 * Models whose traffic file's versions were all found ready: checked once,
 * not on every request, since a deployed zip's files do not change (an
 * evicted session reloads from the same files when next used).
 */
const trafficReady = new WeakSet<ModelEntry>();

/**
 * The model version that serves a request, as rollout/route.ts chooses it
 * (exact version, label, split or newest), ready; its repository name and
 * version go to the request's access line and metrics.
 */
export async function serveModel(choice: RouteChoice): Promise<ServedModel> {
  const routed = routeRequest(choice);
  noteModel(routed.served.name, routed.served.version);
  if (routed.traffic) await assertTrafficReady(routed.model);
  return { model: await readyModel(routed.served), routed };
}

/** A split's shadow version, if it is ready: a shadow that could not load is skipped, never an error. */
export async function readyShadow(entry: VersionEntry): Promise<Model | null> {
  const state = await stateOf(entry);
  return state.ready ? state.model : null;
}

/**
 * What the unversioned metadata routes and /health describe: the version the
 * split serves most (or the newest), once every servable version is ready.
 */
export async function primaryModel(name: string, { note = true } = {}): Promise<Model> {
  await assertTrafficReady(findModel(name));
  const entry = primaryVersion(name);
  if (note) noteModel(entry.name, entry.version);
  return readyModel(entry);
}

/**
 * Starts loading a model without waiting: the handlers call it at import for
 * the default model, so the file is read and hashed during Lambda's init and
 * onnxruntime builds the session on its own thread while the first event is
 * on its way. An unknown name is left for the routes to report (404).
 */
export function preload(name: string | undefined): void {
  if (name === undefined) return;
  try {
    // Every version its traffic file serves or shadows, or the newest.
    const model = findModel(name);
    const state = model.traffic;
    const traffic = state !== null && 'traffic' in state ? state.traffic : null;
    for (const entry of trafficVersions(model, traffic)) void stateOf(entry).catch(() => undefined);
  } catch {
    // No such model: every call will say so.
  }
}

/** How many loaded versions this container holds (the cache tests read it). */
export function cachedSessions(): number {
  return cache.size;
}
