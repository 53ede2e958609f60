import { extended } from '../lib/plain-object';

describe('extended', () => {
  it('is the spread { ...base, ...extra }: keys in order, later ones winning, a new object', () => {
    const base = { a: 1, b: 2 };
    const out = extended(base, { b: 3, c: 4 });
    expect(out).toEqual({ a: 1, b: 3, c: 4 });
    expect(Object.keys(out)).toEqual(['a', 'b', 'c']);
    expect(out).not.toBe(base);
    expect(base).toEqual({ a: 1, b: 2 });
  });

  it('keeps an own "__proto__" key as a key, as a spread does, rather than setting the prototype', () => {
    const base = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const out = extended(base, { b: 2 }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'a', 'b']);
  });
});
