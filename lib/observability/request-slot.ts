/**
 * A value that travels on one of a request's own objects (its event, an
 * error it threw) under a private symbol: gone with the object, as a WeakMap
 * entry would be, without what a WeakMap costs here. V8's young-generation
 * collector (the scavenger) keeps every value of a WeakMap whose key it has
 * not yet proven dead alive and promotes it; only a full collection clears
 * them. Keyed by the event, the facts (which hold the prediction, for
 * capture) made every request's objects survive into the old generation:
 * ~12 KB a single-record call, scavenges of ~3 ms every ~200 calls instead
 * of ~0.1 ms, half the slowest calls of a new container's early window and
 * the warm p99.9 (BENCHMARKS.md, "The early window").
 *
 * Non-enumerable and symbol-keyed, so no spread, Object.keys or
 * JSON.stringify of the event sees it. An object that cannot take a property
 * (frozen; never one of ours) falls back to a WeakMap.
 */
export interface RequestSlot<T> {
  get(owner: object): T | undefined;
  has(owner: object): boolean;
  set(owner: object, value: T): void;
}

export function requestSlot<T>(name: string): RequestSlot<T> {
  const key = Symbol(name);
  const fallback = new WeakMap<object, T>();
  const has = (owner: object) => Object.hasOwn(owner, key) || fallback.has(owner);
  return {
    get: (owner) => (Object.hasOwn(owner, key) ? (owner as Record<symbol, T>)[key] : fallback.get(owner)),
    has,
    set(owner, value) {
      if (Object.isExtensible(owner)) Object.defineProperty(owner, key, { value, writable: true, configurable: true, enumerable: false });
      else fallback.set(owner, value);
    },
  };
}
