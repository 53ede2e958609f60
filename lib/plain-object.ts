/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `{ ...base, ...extra }`, for the objects every request builds. Not written
 * as a spread: in V8 11 (Node 20), an object made by a spread and then given
 * more properties (`{ ...a, b }`) kept what it referenced alive through the
 * young-generation collector, so each request's answer and records were
 * promoted to the old generation and every scavenge took ~1.5 ms instead of
 * ~0.3 ms (BENCHMARKS.md, "The early window"); Object.assign onto a new
 * object does not. Object.assign sets keys where a spread defines them, which
 * differs only for an own "__proto__" key (it would set the prototype): such
 * an object is spread, as before.
 */
export function extended<A extends object, B extends object>(base: A, extra: B): A & B {
  if (Object.hasOwn(base, '__proto__') || Object.hasOwn(extra, '__proto__')) return { ...base, ...extra };
  return Object.assign({}, base, extra);
}
