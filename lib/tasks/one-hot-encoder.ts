import type { Feature } from '../manifest';
import type { FeatureRecord } from './task';

export interface UnknownCategory {
  /** Position of the record in the batch. */
  index: number;
  feature: string;
  value: string;
}

export interface EncodedBatch {
  /** Row-major [records.length, width]. */
  data: Float32Array;
  unknownCategories: UnknownCategory[];
}

export interface Encoder {
  readonly width: number;
  encode(records: readonly FeatureRecord[]): EncodedBatch;
}

type ColumnPlan =
  | { kind: 'numeric'; name: string; column: number }
  | { kind: 'categorical'; name: string; columns: ReadonlyMap<string, number> };

/**
 * One-hot encoding with scikit-learn DictVectorizer semantics: a numeric
 * feature fills its own column, a string value sets the column named
 * "feature=value", and a value seen in no training row sets no column at all
 * (the record is still scored; the caller is told through unknownCategories).
 */
export function createEncoder(features: readonly Feature[]): Encoder {
  let width = 0;
  const plan: ColumnPlan[] = features.map((feature) => {
    if (feature.type === 'numeric') {
      return { kind: 'numeric', name: feature.name, column: width++ };
    }
    const columns = new Map(feature.values.map((value) => [value, width++] as const));
    return { kind: 'categorical', name: feature.name, columns };
  });

  return {
    width,
    encode(records) {
      const data = new Float32Array(records.length * width);
      const unknownCategories: UnknownCategory[] = [];
      records.forEach((record, index) => {
        const row = index * width;
        for (const step of plan) {
          const value = record[step.name];
          if (step.kind === 'numeric') {
            data[row + step.column] = Number(value);
            continue;
          }
          const column = step.columns.get(String(value));
          if (column === undefined) {
            unknownCategories.push({ index, feature: step.name, value: String(value) });
          } else {
            data[row + column] = 1;
          }
        }
      });
      return { data, unknownCategories };
    },
  };
}
