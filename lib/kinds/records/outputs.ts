import type { Outputs } from '../kind';

/**
 * Probabilities come out of the graphs as float32 (about seven significant
 * digits); printing the float64 expansion (0.6700000166893005) would claim
 * precision the model does not have. Seven decimals, not seven significant
 * digits: the same for the probabilities that matter, and Math.round is
 * ~50x cheaper than toPrecision, which showed in the batch profile.
 */
export function roundProbability(p: number): number {
  return Math.round(p * 1e7) / 1e7;
}

/** The named output as a float array of exactly `length` values. */
export function floatOutput(outputs: Outputs, name: string, length: number): Float32Array | Float64Array {
  const data = outputs[name]?.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array) || data.length !== length) {
    throw new Error(`the graph's output "${name}" is not a float tensor of ${length} values`);
  }
  return data;
}

/** Row i of a [count, width] float output. */
export function rowOf(data: Float32Array | Float64Array, count: number, i: number): Float32Array | Float64Array {
  const width = data.length / count;
  return data.subarray(i * width, (i + 1) * width);
}

/** Index of the largest value (the first one on a tie, as numpy's argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/** Softmax of one row of logits, in float64, shifted by its maximum so no exp overflows (the classifier kinds that answer probabilities from logits). */
export function softmax(row: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  const e = Array.from({ length: row.length }, (_, i) => Math.exp(row[i]! - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}
