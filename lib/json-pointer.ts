/** Longest key echoed back in a path: a client's 1 MB key is not returned whole. */
const MAX_SEGMENT = 64;

function escape(segment: string | number): string {
  const text = String(segment);
  const short = text.length > MAX_SEGMENT ? `${text.slice(0, MAX_SEGMENT)}…` : text;
  return short.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** An RFC 6901 JSON pointer, e.g. pointer('instances', 3, 'tenure') → "/instances/3/tenure". */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escape(s)}`).join('');
}
