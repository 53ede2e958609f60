import type { Datatype } from '../../tensors/datatypes';
import { elementCount, nest } from '../../tensors/shape';

/**
 * Deterministic inputs for a tensor model's golden cases: the manifest keeps
 * a seed and the shapes, not the tensors (an image is 150,000 numbers).
 * mulberry32: tiny, fast and the same on every platform.
 */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta'];

/** Small values every datatype holds: integers 0..9 (valid token ids, indices), floats in [-1, 1) to 1/1024 (exact in FP16 too). */
function element(datatype: Datatype, next: () => number): number | boolean | string {
  if (datatype === 'BOOL') return next() < 0.5;
  if (datatype === 'BYTES') return WORDS[Math.floor(next() * WORDS.length)]!;
  if (datatype.startsWith('FP')) return Math.round((next() * 2 - 1) * 1024) / 1024;
  return Math.floor(next() * 10);
}

/** Nested JSON values of the given shape, the same for the same seed. */
export function generateTensor(datatype: Datatype, shape: readonly number[], seed: number): unknown {
  const next = random(seed);
  const values = Array.from({ length: elementCount(shape) }, () => element(datatype, next));
  return nest(values, shape);
}
