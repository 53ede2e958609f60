import type { Model } from '../model';
import type { ServedFacts, Signal } from '../observability/request-facts';
import { readyModel } from '../registry';
import { findModel } from '../repository/model-repository';
import { assertTrafficReady } from '../rollout/readiness';
import { routeRequest, type RouteChoice } from '../rollout/route';
import { scoreShadow } from '../rollout/shadow';
import { knowing } from './facts';

/**
 * The data plane's inference (lib/dataplane: the one place a request is
 * served, whatever its protocol; KServe's and MLServer's data planes are the
 * pattern). The REST routes and the Open Inference Protocol translate their
 * wire format to a call here and its result back: it resolves the model and
 * version (rollout), runs the served version, runs and compares a split's
 * shadow, and returns the answer with the request's facts. Nothing here
 * notes anything: the facts are returned (and carried by a thrown error once
 * the model is known) and recorded at the edge
 * (lib/observability/observe-request.ts). Metadata and readiness are
 * ./describe.ts and ./readiness.ts.
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

