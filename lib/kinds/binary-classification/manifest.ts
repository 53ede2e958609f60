import type { ManifestBase } from '../../manifest/base';
import { preprocessingSchema, type Preprocessing } from '../records/preprocessing';

/**
 * Binary classification of tabular records, scikit-learn DictVectorizer
 * style: the features expand to one-hot and numeric columns of one float
 * tensor [N, columns]; the graph returns one probability per record.
 */
export interface NumericFeature {
  name: string;
  type: 'numeric';
  integer?: boolean;
  minimum?: number;
  maximum?: number;
}

export interface CategoricalFeature {
  name: string;
  type: 'categorical';
  /** Known values, in column order: each value is one one-hot column. */
  values: string[];
}

export type Feature = NumericFeature | CategoricalFeature;

export interface BinaryClassificationManifest extends ManifestBase {
  kind: 'binary-classification';
  /** In column order; see columnNames(). */
  features: Feature[];
  /** DictVectorizer's feature names, one per input column. */
  columns: string[];
  output: { label: string; probability: string; threshold: number };
  /** What training did to its data (train.py writes it); applied to every record. */
  preprocessing?: Preprocessing;
}

export const manifestFields = {
  required: ['features', 'columns', 'output'],
  properties: {
    features: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'type'],
        properties: {
          name: { type: 'string', minLength: 1 },
          type: { enum: ['numeric', 'categorical'] },
          integer: { type: 'boolean' },
          minimum: { type: 'number' },
          maximum: { type: 'number' },
          values: { type: 'array', minItems: 1, items: { type: 'string' }, uniqueItems: true },
        },
        if: { properties: { type: { const: 'categorical' } } },
        then: { required: ['values'], properties: { values: { type: 'array' } } },
      },
    },
    columns: { type: 'array', items: { type: 'string' } },
    output: {
      type: 'object',
      required: ['label', 'probability', 'threshold'],
      properties: {
        label: { type: 'string', minLength: 1 },
        probability: { type: 'string', minLength: 1 },
        threshold: { type: 'number', minimum: 0, maximum: 1 },
      },
    },
    preprocessing: preprocessingSchema,
  },
};

/** The one-hot column names the features expand to, DictVectorizer style. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => (f.type === 'numeric' ? [f.name] : f.values.map((v) => `${f.name}=${v}`)));
}
