import { shorten } from './shorten';

function escape(segment: string | number): string {
  return shorten(String(segment)).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** An RFC 6901 JSON pointer, e.g. pointer('instances', 3, 'tenure') → "/instances/3/tenure". */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escape(s)}`).join('');
}
