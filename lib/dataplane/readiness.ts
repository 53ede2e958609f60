import { ModelUnavailable } from '../errors';
import type { Model } from '../model';
import type { ServedFacts } from '../observability/request-facts';
import { modelState, readyModel } from '../registry';
import { findModel, listModels, versionIn, type ModelEntry } from '../repository/model-repository';
import { assertTrafficReady } from '../rollout/readiness';
import { describedVersion } from '../rollout/route';
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
 * model or version; a manifest or traffic file that cannot be used is not
 * ready, with its reason.
 */
export async function readiness(name: string, version?: string): Promise<Readiness> {
  const model = findModel(name);
  const facts: ServedFacts = { model: model.name };
  return knowing(facts, async () => {
    try {
      if (version !== undefined) {
        const entry = versionIn(model, version);
        facts.version = entry.version;
        const state = await modelState(entry);
        return state.ready ? { ready: true, facts } : { ready: false, reason: state.reason, facts };
      }
      facts.version = describedVersion(model).version;
      await primaryModel(model);
      return { ready: true, facts };
    } catch (error) {
      // Not ready, with the reason: an unusable manifest or traffic file, a version that cannot load.
      if (error instanceof ModelUnavailable) return { ready: false, reason: reasonOf(error), facts };
      throw error;
    }
  });
}

/**
 * What the unversioned metadata routes and /health describe: the primary
 * version, once every servable version is ready. `facts` learns the version
 * once it is chosen, before it loads (a 503 then names it).
 */
async function primaryModel(model: ModelEntry, facts?: ServedFacts): Promise<Model> {
  await assertTrafficReady(model);
  const version = describedVersion(model);
  if (facts) facts.version = version.version;
  return readyModel(version);
}

/** GET /health: the default model's primary version, ready (503 with the reason otherwise). */
export async function health(name: string): Promise<Served<ModelEntry>> {
  const entry = findModel(name);
  const facts: ServedFacts = { model: entry.name };
  return knowing(facts, async () => ({ answer: entry, model: await primaryModel(entry, facts), facts }));
}

/**
 * Server ready: every model's servable versions are ready, as the protocol
 * defines it ("all models ready"). A version folder whose manifest is
 * missing or invalid is a broken model like one whose file or golden cases
 * fail: it holds readiness back (its own routes answer 503), and the other
 * models serve on.
 */
export async function serverReadiness(): Promise<{ ready: boolean; notReady: string[] }> {
  const served = listModels();
  const states = await Promise.all(served.map((m) => primaryModel(m).then(() => true, () => false)));
  const notReady = served.filter((_, i) => !states[i]).map((m) => m.name);
  return { ready: notReady.length === 0, notReady };
}

