/** Sorted-copy percentile (nearest rank), e.g. percentile(xs, 50) is the median. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** The median of each named figure over a set of samples. */
export function medians<T, K extends keyof T>(samples: readonly T[], keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, median(samples.map((x) => x[key] as number))])) as Record<K, number>;
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
  n: number;
}

export function latency(values: readonly number[]): Latency {
  return {
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    p99_9: percentile(values, 99.9),
    max: values.reduce((a, b) => Math.max(a, b), -Infinity),
    n: values.length,
  };
}

/** Throughput at one batch size: the median batch time and what it makes per second. */
export interface BatchFigure {
  msPerBatch: number;
  recordsPerSecond: number;
  batches: number;
}
