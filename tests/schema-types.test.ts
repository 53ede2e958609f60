import { KINDS, KIND_NAMES, type KindName, type Manifest } from '../lib/kinds';
import type { Feature } from '../lib/kinds/binary-classification/manifest';
import type { Preprocessing, TextRule } from '../lib/kinds/records/preprocessing';
import type { TabularManifest } from '../lib/kinds/tabular';
import { baseProperties, baseRequired, type GoldenCase, type ManifestBase, type TensorSpec, type Tolerance } from '../lib/manifest/base';
import { manifestSchema } from '../lib/repository/parse-manifest';
import type { Traffic, TrafficFile } from '../lib/repository/parse-traffic';
import type { Datatype } from '../lib/tensors/datatypes';
import type { Dim } from '../lib/tensors/shape';

/*
 * Every manifest, traffic-file and request type is derived from the schema
 * Ajv checks it with (json-schema-to-ts's FromSchema on schemas written
 * `as const`), so the two cannot drift apart. What is left to prove: that
 * the derived types say what the code relies on (checked by `tsc -p .`,
 * which `npm test` runs first: a schema change that changes a type fails to
 * compile here), and that joinManifestSchema() builds what its type says.
 */

/** true when A and B are assignable both ways. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(proof: Same<A, B>): boolean => proof;

describe('the types derived from the schemas', () => {
  it('take `required` as the schema has it: optional fields are optional, the rest are not', () => {
    // The schema never required a description or a creation date; the hand-written interface claimed both.
    expect(same<ManifestBase['description'], string | undefined>(true)).toBe(true);
    expect(same<Tolerance, { absolute: number; relative: number }>(true)).toBe(true);
    expect(same<TrafficFile, { labels?: Record<string, string>; split: Record<string, number>; shadow?: string; sticky?: 'api_key' }>(true)).toBe(true);
    // parseTraffic fills in the labels.
    expect(same<Traffic['labels'], Record<string, string>>(true)).toBe(true);
    // @ts-expect-error a traffic file without a split is not one
    const noSplit: TrafficFile = { labels: {} };
    expect(noSplit).toBeDefined();
  });

  it('keep enums, dictionaries, pairs and anyOf as the schemas have them', () => {
    expect(same<TensorSpec, { name: string; datatype: Datatype; shape: Dim[] }>(true)).toBe(true);
    expect(same<TextRule, { lowercase?: boolean; replace?: [string, string][] }>(true)).toBe(true);
    expect(same<Preprocessing['missing_numbers'], Record<string, number> | undefined>(true)).toBe(true);
    expect(same<TabularManifest['task'], 'classifier' | 'regressor'>(true)).toBe(true);
    // A golden case is a request, or a seed and shapes (the schema's anyOf).
    // @ts-expect-error an answer alone is not a golden case
    const answerOnly: GoldenCase = { answer: 1 };
    const generated: GoldenCase = { seed: 1, shapes: { x: [2, 3] }, answer: 1 };
    expect([answerOnly, generated]).toHaveLength(2);
  });

  it("name each manifest's kind as its schema's const does, so the union of manifests discriminates", () => {
    expect(same<KindName, 'binary-classification' | 'text-classification' | 'tabular' | 'tensor' | 'image-classification'>(true)).toBe(true);
    expect(same<Extract<Manifest, { kind: 'tabular' }>, TabularManifest>(true)).toBe(true);
    // binary-classification's if/then: a categorical feature has its values.
    expect(same<Extract<Feature, { type: 'categorical' }>['values'], string[]>(true)).toBe(true);
  });
});

describe("joinManifestSchema (each kind's manifest type is derived from its type)", () => {
  it.each(KIND_NAMES)('builds the %s schema its type says: the shared fields, `kind` its const, then the kind’s own, required in that order', (kind) => {
    const own = KINDS[kind].manifestFields;
    const schema = manifestSchema(kind) as { type: string; required: string[]; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual([...baseRequired, ...own.required]);
    expect(Object.keys(schema.properties)).toEqual([...Object.keys(baseProperties), ...Object.keys(own.properties)]);
    expect(schema.properties).toEqual({ ...baseProperties, ...own.properties, kind: { const: kind } });
  });
});
