import ajvUcs2length from 'ajv/dist/runtime/ucs2length';
import ucs2length from '../lib/validators/ucs2length';

/** The precompiled validators count code points with lib/validators/ucs2length.ts in place of Ajv's: the same count for any string. */
describe('ucs2length', () => {
  const fixed = ['', 'a', 'month-to-month', 'é', '😀', 'a😀b', '\uD800', '\uDC00', '\uD800a', 'a\uD800', '\uDC00\uD800', '\uD800\uD800\uDC00', '😀'.repeat(300), 'x'.repeat(257)];

  it.each(fixed.map((s) => [JSON.stringify(s).slice(0, 40), s]))('counts %s as Ajv does', (_shown, s) => {
    expect(ucs2length(s)).toBe(ajvUcs2length(s));
  });

  it('counts random strings of surrogates, astral and plain characters as Ajv does', () => {
    // A fixed sequence (a linear congruential generator), so a failure reproduces.
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const units = [0x61, 0xe9, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0x4e2d];
    for (let n = 0; n < 2000; n++) {
      const s = String.fromCharCode(...Array.from({ length: next() % 12 }, () => units[next() % units.length]!));
      expect(ucs2length(s)).toBe(ajvUcs2length(s));
    }
  });
});
