import { sha256Hex } from '../sha256';

/**
 * What capture keeps of a value too large to keep whole (README,
 * "Monitoring"): its size and a hash, and for numbers their spread. A
 * capture line stays far under CloudWatch Logs' 256 KB event limit whatever
 * the request held, and a picture, a long text or a tensor is never logged.
 */

/** Texts longer than this are captured as their summary (length, hash and the text profile's figures), not raw. */
export const MAX_CAPTURED_TEXT = 1000;
/** Arrays with more elements than this (tensor rows, embeddings) are captured as their summary. */
export const MAX_CAPTURED_ELEMENTS = 64;

export function bytesSummary(bytes: Buffer): { bytes: number; sha256: string } {
  return { bytes: bytes.length, sha256: sha256Hex(bytes) };
}

export function textSummary(text: string): { length: number; sha256: string } {
  return { length: [...text].length, sha256: sha256Hex(text) };
}

/** The leaves of a nested array, in order (a tensor row of any rank). */
function leaves(value: readonly unknown[], into: unknown[] = []): unknown[] {
  for (const v of value) {
    if (Array.isArray(v)) leaves(v, into);
    else into.push(v);
  }
  return into;
}

/** An array's summary: its element count and hash, and min, max, mean and L2 norm when its elements are numbers. */
export function arraySummary(value: readonly unknown[]): Record<string, unknown> {
  const flat = leaves(value);
  const summary: Record<string, unknown> = { elements: flat.length, sha256: sha256Hex(JSON.stringify(value)) };
  const numbers = flat.filter((v): v is number => typeof v === 'number');
  if (numbers.length === flat.length && numbers.length > 0) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let squares = 0;
    for (const x of numbers) {
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      squares += x * x;
    }
    Object.assign(summary, { min, max, mean: sum / numbers.length, norm: Math.sqrt(squares) });
  }
  return summary;
}

/**
 * A value as a capture line holds it: small values as they are, a long text
 * or a large array as its summary (`{"summary": {...}}`, so a summary is
 * never mistaken for a value), objects field by field.
 */
export function captured(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_CAPTURED_TEXT ? { summary: textSummary(value) } : value;
  if (Array.isArray(value)) return leaves(value).length > MAX_CAPTURED_ELEMENTS ? { summary: arraySummary(value) } : value.map(captured);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, captured(v)]));
  return value;
}
