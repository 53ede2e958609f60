/**
 * The counts monitoring keeps of a distribution (README, "Monitoring"):
 * fixed bins for numbers, frequencies for categories. Two sketches over the
 * same bins merge by adding counts, so the monitor's memory does not grow
 * with the number of records it reads, and a baseline is the same
 * structure as a window's profile.
 */

/** Counts of numbers in the bins (-∞, e0], (e0, e1], … (ek, ∞), with the missing ones apart. */
export interface NumericSketch {
  edges: number[];
  counts: number[];
  missing: number;
  min: number | null;
  max: number | null;
  /** The values' sum, for their mean. */
  sum: number;
}

/** Counts per category, with the values outside `counts`' keys in `other` and the missing ones apart. */
export interface CategoricalSketch {
  counts: Record<string, number>;
  other: number;
  missing: number;
}

/** Bins per numeric field: deciles of the baseline. */
export const QUANTILE_BINS = 10;
/** A categorical baseline keeps its most frequent categories; the rest count as "other". */
export const MAX_CATEGORIES = 50;
/** The edges of a probability's histogram: tenths. */
export const SCORE_EDGES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** The bin of a value: the first edge it does not exceed (binary search), or the last bin. */
export function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function emptyNumeric(edges: readonly number[]): NumericSketch {
  return { edges: [...edges], counts: new Array<number>(edges.length + 1).fill(0), missing: 0, min: null, max: null, sum: 0 };
}

export function addNumber(sketch: NumericSketch, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    sketch.missing++;
    return;
  }
  sketch.counts[binOf(sketch.edges, value)]!++;
  sketch.sum += value;
  sketch.min = sketch.min === null ? value : Math.min(sketch.min, value);
  sketch.max = sketch.max === null ? value : Math.max(sketch.max, value);
}

export function emptyCategorical(categories: readonly string[]): CategoricalSketch {
  return { counts: Object.fromEntries(categories.map((c) => [c, 0])), other: 0, missing: 0 };
}

/** A category as profiles hold it: booleans and numbers as their text. */
export function categoryOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return undefined;
}

export function addCategory(sketch: CategoricalSketch, value: unknown): void {
  const category = categoryOf(value);
  if (category === undefined) sketch.missing++;
  else if (Object.hasOwn(sketch.counts, category)) sketch.counts[category]!++;
  else sketch.other++;
}

/** The mean of the values a sketch counted, or null for none. */
export function meanOf(sketch: NumericSketch): number | null {
  const n = sketch.counts.reduce((a, b) => a + b, 0);
  return n === 0 ? null : sketch.sum / n;
}

export const numericTotal = (s: NumericSketch): number => s.counts.reduce((a, b) => a + b, 0) + s.missing;
export const categoricalTotal = (s: CategoricalSketch): number => Object.values(s.counts).reduce((a, b) => a + b, 0) + s.other + s.missing;

/**
 * Decile edges of a baseline's values, each a value that occurs (numpy's
 * "lower" quantile), repeated edges dropped: a field with few distinct
 * values (0/1, small integers) gets one bin per value instead of empty ones.
 */
export function quantileEdges(values: readonly number[], bins = QUANTILE_BINS): number[] {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = sorted[Math.floor((i / bins) * (sorted.length - 1))]!;
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  // The largest value closes the last bounded bin, so values above the baseline's range land in the open bin beyond it.
  if (sorted[sorted.length - 1]! > (edges[edges.length - 1] ?? -Infinity)) edges.push(sorted[sorted.length - 1]!);
  return edges;
}

/** The numeric sketch of values over their own deciles (a baseline's). */
export function numericProfile(values: readonly unknown[]): NumericSketch {
  const sketch = emptyNumeric(quantileEdges(values.filter((v): v is number => typeof v === 'number')));
  for (const v of values) addNumber(sketch, v);
  return sketch;
}

/** The categorical sketch of values, keeping the MAX_CATEGORIES most frequent (a baseline's). */
export function categoricalProfile(values: readonly unknown[]): CategoricalSketch {
  const frequency = new Map<string, number>();
  for (const v of values) {
    const c = categoryOf(v);
    if (c !== undefined) frequency.set(c, (frequency.get(c) ?? 0) + 1);
  }
  const kept = [...frequency.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_CATEGORIES).map(([c]) => c);
  const sketch = emptyCategorical(kept.sort());
  for (const v of values) addCategory(sketch, v);
  return sketch;
}
