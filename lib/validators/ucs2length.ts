/** A high surrogate: a string without one has as many code points as UTF-16 units. */
const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

/**
 * Ajv's ucs2length (ajv/dist/runtime/ucs2length: a string's length in code
 * points, for maxLength and minLength) as the precompiled validators use it
 * (scripts/esbuild-plugins.js puts it in their place): the same count, with a
 * string that holds no high surrogate, nearly every one, answered by its
 * length without walking it. Ajv's walks every character of every
 * categorical value of every record: 3% of a 1,000-record request
 * (BENCHMARKS.md, "A batch of 1,000").
 */
export default function ucs2length(str: string): number {
  if (!HIGH_SURROGATE.test(str)) return str.length;
  // Ajv's own walk: a high surrogate followed by a low one is one code point.
  const len = str.length;
  let length = 0;
  let pos = 0;
  while (pos < len) {
    length++;
    const value = str.charCodeAt(pos++);
    if (value >= 0xd800 && value <= 0xdbff && pos < len && (str.charCodeAt(pos) & 0xfc00) === 0xdc00) pos++;
  }
  return length;
}
