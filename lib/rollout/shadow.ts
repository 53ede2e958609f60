import { ServiceError } from '../errors';
import type { Model } from '../model';
import type { ShadowFacts } from '../observability/request-facts';
import { untraced } from '../observability/tracing';
import { modelState } from '../registry';
import type { VersionEntry } from '../repository/model-repository';
import { settings } from '../settings';

/** Walks two answers side by side: numbers give |Δ|, anything else that differs is a flip. */
export function disagreement(served: unknown, shadow: unknown): { maxDelta: number; flips: number } {
  const result = { maxDelta: 0, flips: 0 };
  const walk = (a: unknown, b: unknown) => {
    if (typeof a === 'number' && typeof b === 'number') {
      result.maxDelta = Math.max(result.maxDelta, Math.abs(a - b));
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i]));
    } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]);
    } else if (a !== b) {
      result.flips++;
    }
  };
  walk(served, shadow);
  return result;
}

/** A split's shadow version, if it is ready: a shadow that could not load is skipped, never an error. */
async function readyShadow(entry: VersionEntry): Promise<Model | null> {
  const state = await modelState(entry);
  return state.ready ? state.model : null;
}

/**
 * Scores the request again with a split's shadow version (`score`: the
 * protocol's own scoring, whose figures are the shadow's, never the
 * request's) and compares what it answers with what was served. Never
 * throws and never changes the served answer: a shadow that is not ready,
 * refuses the request, fails or takes longer than SHADOW_BUDGET_MS is
 * reported and left. Lambda gives no time after the response, so this runs
 * inside the request, after the served answer is computed; a run cut off by
 * the budget finishes in the background. Its steps are not the request's
 * trace.
 */
export async function scoreShadow(shadow: VersionEntry, score: (model: Model) => Promise<unknown>, served: unknown): Promise<ShadowFacts> {
  const started = performance.now();
  const budget = settings.shadowBudgetMs();
  const { version } = shadow;
  const done = (rest: Omit<ShadowFacts, 'version' | 'ms'>): ShadowFacts => ({ version, ...rest, ms: Math.round((performance.now() - started) * 100) / 100 });
  // One deadline for loading and scoring, cleared as soon as the shadow is done.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, budget, 'timeout');
  });
  try {
    const model = await Promise.race([readyShadow(shadow), deadline]);
    if (model === 'timeout') return done({ outcome: 'skipped', reason: 'still loading' });
    if (model === null) return done({ outcome: 'skipped', reason: 'not ready' });
    const answer = await Promise.race([untraced(() => score(model)), deadline]);
    // Encoding runs synchronously, so the timer cannot always cut it short: an answer that came late is dropped too.
    if (answer === 'timeout' || performance.now() - started > budget) return done({ outcome: 'skipped', reason: 'over the time budget' });
    return done({ outcome: 'compared', ...disagreement(served, answer) });
  } catch (error) {
    return done({ outcome: 'error', reason: error instanceof ServiceError ? error.code : 'internal_error' });
  } finally {
    clearTimeout(timer);
  }
}
