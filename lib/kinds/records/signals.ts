import type { Signal } from '../../observability/request-facts';
import { argmax, rowOf } from './outputs';

/**
 * The drift figures record kinds publish per batch (README, "Metrics"):
 * mean probability and positive rate for a binary classifier, a count per
 * predicted label for a classifier, the mean value for a regressor.
 */

/**
 * Labels with a metric of their own. EMF allows 100 metrics in one line and
 * a request's own metrics take a few: a classifier with more labels counts
 * the rest together under PredictedOther, so one line always suffices.
 */
export const MAX_LABEL_METRICS = 50;

/** A metric name from a label: CloudWatch takes any text, dashboards read plain ASCII best. */
export function labelMetric(label: string | number): string {
  return `Predicted.${String(label).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200)}`;
}

export function binarySignals(probabilities: ArrayLike<number>, threshold: number): Signal[] {
  let sum = 0;
  let positive = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    sum += p;
    if (p >= threshold) positive++;
  }
  const n = probabilities.length || 1;
  return [
    { metric: 'MeanProbability', unit: 'None', value: sum / n },
    { metric: 'PositiveRate', unit: 'Percent', value: (100 * positive) / n },
  ];
}

/** Counts of each predicted label index, non-zero ones only; `labels` from the manifest. */
export function labelCountSignals(labels: readonly (string | number)[], predicted: Iterable<number>): Signal[] {
  const counts = new Map<string, number>();
  for (const index of predicted) {
    const metric = index < MAX_LABEL_METRICS && index < labels.length ? labelMetric(labels[index]!) : 'PredictedOther';
    counts.set(metric, (counts.get(metric) ?? 0) + 1);
  }
  return [...counts].map(([metric, value]) => ({ metric, unit: 'Count', value }));
}

/** The argmax of each row of a [count, labels] probability output. */
export function* argmaxRows(data: Float32Array | Float64Array, count: number): Iterable<number> {
  for (let i = 0; i < count; i++) yield argmax(rowOf(data, count, i));
}

export function meanSignal(values: ArrayLike<number>): Signal[] {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return [{ metric: 'MeanPrediction', unit: 'None', value: sum / (values.length || 1) }];
}
