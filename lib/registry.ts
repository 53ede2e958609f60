import { ModelFetchError, ModelLoadError, ModelUnavailable } from './errors';
import { loadModel, type Model } from './model';
import { traced } from './observability/tracing';
import type { VersionEntry } from './repository/model-repository';
import { backoffMs } from './repository/store/model-store';
import { logger } from './logger';
import { settings } from './settings';
import { shorten } from './shorten';

/**
 * Loaded model versions, and nothing else: which version serves a request is
 * rollout's to choose (lib/rollout), and serving it the data plane's
 * (lib/dataplane). Kept for the container's life, bounded so a caller
 * cycling through versions cannot exhaust memory; MAX_SESSIONS (default 8)
 * is far above the bundled models, which are never evicted.
 */

export type ModelState = { ready: true; model: Model } | { ready: false; reason: string; retryAt?: number };

// By the entry's key (lib/repository): its folder, and with WATCH_MODELS what
// its files looked like (with a model store, their ETags), so a version
// whose files changed loads afresh.
const cache = new Map<string, { dir: string; state: Promise<ModelState>; settled?: ModelState }>();

/** Consecutive failures to fetch a version's files from the model store, by key: the backoff's exponent. */
const fetchFailures = new Map<string, number>();

/** An unexpected error in a few safe words: its class and first line, paths and source locations removed. */
function unexpectedReason(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const first = typeof message === 'string' ? message.split('\n')[0]! : String(error);
  const safe = first.replace(/(?:\/[\w.@+-]+){2,}/g, '<path>');
  return shorten(`${typeof name === 'string' ? name : 'Error'}: ${safe}`, 200);
}

async function load(entry: VersionEntry): Promise<ModelState> {
  const { manifest, problem } = entry;
  if (!manifest) return { ready: false, reason: problem ?? 'model.json is invalid' };
  try {
    // A version of the model store: its files come to /tmp first, checked, and onnxruntime reads the model from there.
    if (entry.store) {
      const fetching = performance.now();
      await traced('model download', () => entry.store!.fetch(filesOf(manifest)));
      // On the timeline beside model-ready, so the bench can tell the download from the load.
      performance.mark(`model-fetched ${entry.name}@${entry.version}`, { detail: { ms: performance.now() - fetching } });
    }
    const model = await traced('model load', () => loadModel(entry.dir, manifest, entry.store ? 'checked-on-disk' : 'check-in-memory'));
    fetchFailures.delete(entry.key);
    // On the process's performance timeline, so a probe (bench/probes/cold.js)
    // can tell when the model became ready without any hook in the code.
    performance.mark(`model-ready ${model.info.name}@${model.info.version}`, { detail: model.info });
    return { ready: true, model };
  } catch (error) {
    if (error instanceof ModelLoadError) return { ready: false, reason: error.message };
    if (error instanceof ModelFetchError) {
      // May pass (S3 unreachable, throttled): later requests try again, 1 s, 2 s, 4 s … at most a minute apart.
      const failures = (fetchFailures.get(entry.key) ?? 0) + 1;
      fetchFailures.set(entry.key, failures);
      const wait = backoffMs(failures);
      logger.warn('model files could not be fetched', { model: entry.name, version: entry.version, failures, retryInMs: wait, reason: error.message });
      return { ready: false, reason: `${error.message}; tried again in ${Math.ceil(wait / 1000)} s`, retryAt: Date.now() + wait };
    }
    // Unexpected: the log gets its whole message (no stack, as every error line); the answer its kind and first line, without file paths.
    logger.error('model could not be loaded', { model: entry.name, version: entry.version, cause: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return { ready: false, reason: `the model could not be loaded: ${unexpectedReason(error)}` };
  }
}

/** Forgets a loaded version and frees its session: Lambda runs one request at a time per container, so nothing still uses it. */
function evict(key: string): void {
  const held = cache.get(key);
  cache.delete(key);
  void held?.state.then((s) => (s.ready ? s.model.release() : undefined)).catch(() => undefined);
}

/** The version's model file and companion files, with the sha256 its manifest names for each. */
function filesOf(manifest: NonNullable<VersionEntry['manifest']>): Map<string, string> {
  return new Map([[manifest.file, manifest.sha256], ...Object.entries(manifest.files ?? {}).map(([name, { sha256 }]) => [name, sha256] as [string, string])]);
}

/**
 * The state of a model version, loading it on first use. A failed load stays
 * failed for the container's life: the files in a deployed zip do not change,
 * so retrying would only fail again, slower. The exception is a model
 * store's file that could not be fetched (a transient S3 error): it is
 * fetched again by the first request after its backoff.
 */
export function modelState(entry: VersionEntry): Promise<ModelState> {
  let held = cache.get(entry.key);
  if (held?.settled && !held.settled.ready && held.settled.retryAt !== undefined && Date.now() >= held.settled.retryAt) {
    cache.delete(entry.key);
    held = undefined;
  }
  if (held) {
    cache.delete(entry.key); // most recently used goes last
  } else {
    // The same folder as it was before its files changed (WATCH_MODELS): its session goes.
    for (const [key, { dir }] of cache) if (dir === entry.dir) evict(key);
    const loading: { dir: string; state: Promise<ModelState>; settled?: ModelState } = { dir: entry.dir, state: load(entry) };
    void loading.state.then((state) => (loading.settled = state));
    held = loading;
    if (cache.size >= settings.maxSessions()) evict(cache.keys().next().value!);
  }
  cache.set(entry.key, held);
  return held.state;
}

/** The version's model, ready, or ModelUnavailable (503) with the reason it is not. */
export async function readyModel(entry: VersionEntry): Promise<Model> {
  const state = await modelState(entry);
  if (!state.ready) throw new ModelUnavailable(`model unavailable: ${state.reason}`);
  return state.model;
}

/**
 * Starts loading versions without waiting: during Lambda's init the files are
 * read and hashed and onnxruntime builds the sessions on its own thread while
 * the first event is on its way. A failure is kept in the state, for the
 * routes to report.
 */
export function preload(entries: readonly VersionEntry[]): void {
  for (const entry of entries) void modelState(entry).catch(() => undefined);
}

/** How many loaded versions this container holds (the cache tests read it). */
export function cachedSessions(): number {
  return cache.size;
}
