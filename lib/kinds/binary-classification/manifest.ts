import * as Type from '@sinclair/typebox';
import { kindManifestSchema } from '../../manifest/base';
import { StringEnum } from '../../json-schema';
import { preprocessingSchema } from '../records/preprocessing';

/**
 * Binary classification of tabular records, scikit-learn DictVectorizer
 * style: the features expand to one-hot and numeric columns of one float
 * tensor [N, columns]; the graph returns one probability per record.
 */
const featureFields = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    type: StringEnum(['numeric', 'categorical']),
    integer: Type.Optional(Type.Boolean()),
    minimum: Type.Optional(Type.Number()),
    maximum: Type.Optional(Type.Number()),
    /** Known values, in column order: each value is one one-hot column. */
    values: Type.Optional(Type.Array(Type.String(), { minItems: 1, uniqueItems: true })),
  },
  {
    if: { properties: { type: { const: 'categorical' } } },
    then: { required: ['values'], properties: { values: { type: 'array' } } },
  },
);

/** A feature as its properties describe it; Feature adds what the if/then does. */
type FeatureFields = Type.Static<typeof featureFields>;
export type NumericFeature = FeatureFields & { type: 'numeric' };
export type CategoricalFeature = FeatureFields & { type: 'categorical' } & Required<Pick<FeatureFields, 'values'>>;
export type Feature = NumericFeature | CategoricalFeature;
/** The same schema, typed as the if/then has it: a categorical feature has its values. */
const featureSchema = Type.Unsafe<Feature>(featureFields);

export const manifestSchema = kindManifestSchema('binary-classification', {
  /** In column order; see columnNames(). */
  features: Type.Array(featureSchema, { minItems: 1 }),
  /** DictVectorizer's feature names, one per input column. */
  columns: Type.Array(Type.String()),
  output: Type.Object({
    label: Type.String({ minLength: 1 }),
    probability: Type.String({ minLength: 1 }),
    threshold: Type.Number({ minimum: 0, maximum: 1 }),
  }),
  /** What training did to its data (train.py writes it); applied to every record. */
  preprocessing: Type.Optional(preprocessingSchema),
});

export type BinaryClassificationManifest = Type.Static<typeof manifestSchema>;

/** The one-hot column names the features expand to, DictVectorizer style. */
export function columnNames(features: readonly Feature[]): string[] {
  return features.flatMap((f) => (f.type === 'numeric' ? [f.name] : f.values.map((v) => `${f.name}=${v}`)));
}
