import { ModelUnavailable } from '../errors';
import type { Model } from '../model';
import type { ServedFacts } from '../observability/request-facts';
import { modelState, readyModel } from '../registry';
import { findModel, listModels, type ModelEntry } from '../repository/model-repository';
import { assertTrafficReady } from '../rollout/readiness';
import { describedVersion } from '../rollout/route';
import { describe } from './describe';
import { knowing } from './facts';
import type { Served } from './infer';

/** The data plane's readiness: whether versions load and pass their golden cases (the registry loads them). */

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

