import { withFacts, type ServedFacts } from '../observability/request-facts';

/** Runs `work`; an error it throws carries the facts known so far to the edge. */
export async function knowing<T>(facts: ServedFacts, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw withFacts(error, facts);
  }
}

export function knowingSync<T>(facts: ServedFacts, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw withFacts(error, facts);
  }
}

