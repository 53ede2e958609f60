import { ModelUnavailable } from '../errors';
import type { Manifest } from '../kinds';
import type { Model } from '../model';
import { withFacts, type ServedFacts, type Signal } from '../observability/request-facts';
import { modelState, preload as preloadVersions, readyModel } from '../registry';
import { findModel, listModels, usableManifest, type ModelEntry, type VersionEntry } from '../repository/model-repository';
import { assertTrafficReady } from '../rollout/readiness';
import { describedVersion, routeRequest, trafficVersions, type RouteChoice } from '../rollout/route';
import { scoreShadow } from '../rollout/shadow';

/**
 * The one place a request is served, whatever its protocol (KServe's and
 * MLServer's data planes are the pattern): the REST routes and the Open
 * Inference Protocol translate their wire format to a call here and its
 * result back. For inference it resolves the model and version (rollout),
 * runs the served version, runs and compares a split's shadow, and returns
 * the answer with the request's facts; for metadata and readiness it reads
 * the repository and the registry. Nothing here notes anything: the facts
 * are returned (and carried by a thrown error once the model is known) and
 * recorded at the edge (lib/observability/observe-request.ts).
 */

/** What a protocol's scoring of one model version gives: its answer, and what the request's facts need. */
export interface Scored<A> {
  answer: A;
  /** What a shadow's answer is compared with (the answer body, or the output tensors). */
  compared: unknown;
  records: number;
  signals: Signal[];
  warnings: number;
  inferenceMs: number;
}

export interface Served<A> {
  answer: A;
  /** The version that answered. */
  model: Model;
  facts: ServedFacts;
}

/** A request for a model by name, as a protocol names it. */
export interface ModelRequest extends RouteChoice {
  name: string;
}

/** Runs `work`; an error it throws carries the facts known so far to the edge. */
async function knowing<T>(facts: ServedFacts, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw withFacts(error, facts);
  }
}

function knowingSync<T>(facts: ServedFacts, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw withFacts(error, facts);
  }
}

/**
 * Inference: the version rollout chooses (exact, label, split or newest),
 * ready, scored by the protocol's `score`; then, for a split-routed request,
 * the split's shadow scored by the same function and compared. 404 for an
 * unknown model, version or label; 503 for a version or traffic file that
 * cannot be used; whatever `score` throws for the request itself. `accepts`
 * is the protocol's check that it can answer with the served version (an
 * Accept the version's answers cannot meet); a shadow is never held to it.
 */
export async function infer<A>(request: ModelRequest, score: (model: Model) => Promise<Scored<A>>, accepts?: (model: Model) => void): Promise<Served<A>> {
  const entry = findModel(request.name);
  const facts: ServedFacts = { model: entry.name };
  return knowing(facts, async () => {
    const routed = routeRequest(entry, request);
    facts.version = routed.served.version;
    if (routed.traffic) await assertTrafficReady(entry);
    const model = await readyModel(routed.served);
    accepts?.(model);
    const scored = await score(model);
    facts.records = scored.records;
    facts.signals = scored.signals;
    facts.warnings = scored.warnings;
    facts.inferenceMs = scored.inferenceMs;
    if (routed.shadow) facts.shadow = await scoreShadow(routed.shadow, async (shadow) => (await score(shadow)).compared, scored.compared);
    return { answer: scored.answer, model, facts };
  });
}

export interface Described {
  model: ModelEntry;
  entry: VersionEntry;
  manifest: Manifest;
  facts: ServedFacts;
}

/**
 * Metadata of a version, from its manifest alone (no onnxruntime): the one
 * named, or the model's primary version. 404 for an unknown model or
 * version; 503 for a manifest or traffic file that cannot be used.
 */
export function describe(name: string, version?: string): Described {
  const model = findModel(name);
  const facts: ServedFacts = { model: model.name };
  return knowingSync(facts, () => {
    const entry = describedVersion(model, version);
    facts.version = entry.version;
    return { model, ...usableManifest(entry), facts };
  });
}

export interface Readiness {
  ready: boolean;
  reason?: string;
  facts: ServedFacts;
}

const reasonOf = (error: ModelUnavailable) => error.message.replace(/^model unavailable: /, '');

/**
 * Model ready: the version named loads and passes its checks and golden
 * cases; without a version, every version the traffic file can serve (as the
 * unversioned routes need them) and the primary one. 404 for an unknown
 * model or version; 503 (thrown) for a manifest that cannot be used.
 */
export async function readiness(name: string, version?: string): Promise<Readiness> {
  const { model, entry, facts } = describe(name, version);
  return knowing(facts, async () => {
    if (version !== undefined) {
      const state = await modelState(entry);
      return state.ready ? { ready: true, facts } : { ready: false, reason: state.reason, facts };
    }
    try {
      await primaryModel(model);
      return { ready: true, facts };
    } catch (error) {
      if (error instanceof ModelUnavailable) return { ready: false, reason: reasonOf(error), facts };
      throw error;
    }
  });
}

/** What the unversioned metadata routes and /health describe: the primary version, once every servable version is ready. */
async function primaryModel(model: ModelEntry): Promise<Model> {
  await assertTrafficReady(model);
  return readyModel(describedVersion(model));
}

/** GET /health: the default model's primary version, ready (503 with the reason otherwise). */
export async function health(name: string): Promise<Served<ModelEntry>> {
  const entry = findModel(name);
  const facts: ServedFacts = { model: entry.name };
  return knowing(facts, async () => {
    await assertTrafficReady(entry);
    const version = describedVersion(entry);
    facts.version = version.version;
    return { answer: entry, model: await readyModel(version), facts };
  });
}

/**
 * Server ready: every model's servable versions are ready, as the protocol
 * defines it ("all models ready"). A folder whose manifest is unusable is not
 * a model, so it does not hold readiness back; a valid model that fails to
 * load or its golden cases does.
 */
export async function serverReadiness(): Promise<{ ready: boolean; notReady: string[] }> {
  const served = listModels().filter((m) => m.versions.at(-1)!.manifest !== null);
  const states = await Promise.all(served.map((m) => primaryModel(m).then(() => true, () => false)));
  const notReady = served.filter((_, i) => !states[i]).map((m) => m.name);
  return { ready: notReady.length === 0, notReady };
}

/** Every model in the repository, for the listing routes. */
export function models(): ModelEntry[] {
  return listModels();
}

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
