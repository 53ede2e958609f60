import type { KindFields, KindManifest } from '../../manifest/base';
import { preprocessingSchema } from '../records/preprocessing';

/**
 * Binary classification of tabular records, scikit-learn DictVectorizer
 * style: the features expand to one-hot and numeric columns of one float
 * tensor [N, columns]; the graph returns one probability per record.
 */
export const manifestFields = {
  required: ['features', 'columns', 'output'],
  properties: {
    /** In column order; see columnNames(). */
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
          /** Known values, in column order: each value is one one-hot column. */
          values: { type: 'array', minItems: 1, items: { type: 'string' }, uniqueItems: true },
        },
        if: { properties: { type: { const: 'categorical' } } },
        then: { required: ['values'], properties: { values: { type: 'array' } } },
      },
    },
    /** DictVectorizer's feature names, one per input column. */
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
    /** What training did to its data (train.py writes it); applied to every record. */
    preprocessing: preprocessingSchema,
  },
} as const satisfies KindFields;

export type BinaryClassificationManifest = KindManifest<'binary-classification', typeof manifestFields>;
/** A feature as the schema's if/then has it: a categorical one has its values. */
export type Feature = BinaryClassificationManifest['features'][number];
export type NumericFeature = Extract<Feature, { type: 'numeric' }>;
export type CategoricalFeature = Extract<Feature, { type: 'categorical' }>;

/** The one-hot column names the features expand to, DictVectorizer style. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => (f.type === 'numeric' ? [f.name] : f.values.map((v) => `${f.name}=${v}`)));
}
