import Ajv from 'ajv';
import * as Type from '@sinclair/typebox';
import { AnyArray, AnyObject, Dictionary, Pair, StringEnum } from '../lib/json-schema';
import { KINDS, KIND_NAMES, type KindName, type Manifest } from '../lib/kinds';
import type { Feature } from '../lib/kinds/binary-classification/manifest';
import type { Preprocessing, TextRule } from '../lib/kinds/records/preprocessing';
import type { TabularManifest } from '../lib/kinds/tabular';
import type { GoldenCase, ManifestBase, TensorSpec } from '../lib/manifest/base';
import type { Datatype } from '../lib/tensors/datatypes';
import type { Dim } from '../lib/tensors/shape';
import { manifestSchema } from '../lib/repository/parse-manifest';
import { trafficSchema, type Traffic, type TrafficFile } from '../lib/repository/parse-traffic';

/*
 * Every manifest, traffic-file and request type is Type.Static of the schema
 * Ajv checks it with (lib/json-schema.ts), so the two cannot drift apart.
 * What is left to prove: that the derived types say what the code relies
 * on (checked by `tsc -p .`, which `npm test` runs first: a schema change
 * that changes a type fails to compile here), and that the builders write
 * the JSON Schema they promise.
 */

/** true when A and B are assignable both ways (intersections and their flattened form count as the same). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(proof: Same<A, B>): boolean => proof;

describe('the types derived from the schemas', () => {
  it('take `required` as the schema has it: optional fields are optional, the rest are not', () => {
    // The schema never required a description or a creation date; the hand-written interface claimed both.
    expect(same<ManifestBase['description'], string | undefined>(true)).toBe(true);
    expect(same<ManifestBase['golden']['tolerance'], { absolute: number; relative: number }>(true)).toBe(true);
    expect(same<TrafficFile, { labels?: Record<string, string>; split: Record<string, number>; shadow?: string; sticky?: 'api_key' }>(true)).toBe(true);
    // parseTraffic fills in the labels.
    expect(same<Traffic['labels'], Record<string, string>>(true)).toBe(true);
    // @ts-expect-error a traffic file without a split is not one
    const noSplit: TrafficFile = { labels: {} };
    expect(noSplit).toBeDefined();
  });

  it('keep the enums, dictionaries and pairs typed as the builders promise', () => {
    expect(same<TensorSpec, { name: string; datatype: Datatype; shape: Dim[] }>(true)).toBe(true);
    expect(same<GoldenCase['shapes'], Record<string, number[]> | undefined>(true)).toBe(true);
    expect(same<TextRule, { lowercase?: boolean; replace?: [string, string][] }>(true)).toBe(true);
    expect(same<Preprocessing['missing_numbers'], Record<string, number> | undefined>(true)).toBe(true);
    expect(same<TabularManifest['task'], 'classifier' | 'regressor'>(true)).toBe(true);
  });

  it("name each manifest's kind as its schema's const does, so the union of manifests discriminates", () => {
    expect(same<KindName, 'binary-classification' | 'text-classification' | 'tabular' | 'tensor'>(true)).toBe(true);
    expect(same<Extract<Manifest, { kind: 'tabular' }>, TabularManifest>(true)).toBe(true);
    // binary-classification's if/then: a categorical feature has its values.
    expect(same<Extract<Feature, { type: 'categorical' }>['values'], string[]>(true)).toBe(true);
    for (const kind of KIND_NAMES) expect(JSON.stringify((manifestSchema(kind).properties as Record<string, unknown>).kind)).toBe(JSON.stringify({ const: kind }));
  });
});

describe('the schema builders (lib/json-schema.ts)', () => {
  const json = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema));

  it('write the JSON Schema the service has always checked, not TypeBox’s own forms', () => {
    expect(json(StringEnum(['a', 'b']))).toEqual({ enum: ['a', 'b'] });
    expect(json(Dictionary(Type.Number(), { minProperties: 1 }))).toEqual({ type: 'object', minProperties: 1, additionalProperties: { type: 'number' } });
    expect(json(AnyObject())).toEqual({ type: 'object' });
    expect(json(AnyArray({ description: 'd' }))).toEqual({ type: 'array', description: 'd' });
    expect(json(Pair(Type.String(), Type.Number()))).toEqual({ type: 'array', minItems: 2, maxItems: 2, items: [{ type: 'string' }, { type: 'number' }] });
  });

  it("carry TypeBox's marks as symbol keys only, which JSON and Ajv do not see", () => {
    expect(Object.getOwnPropertySymbols(trafficSchema)).not.toHaveLength(0);
    for (const schema of [trafficSchema, ...KIND_NAMES.map((kind) => KINDS[kind].manifestSchema)]) {
      expect(Object.keys(schema)).toEqual(Object.keys(json(schema) as object));
    }
    // Ajv, strict, compiles the object itself and its JSON alike.
    const ajv = new Ajv({ strict: true, allErrors: true });
    const fromObject = ajv.compile(trafficSchema);
    const fromJson = ajv.compile(json(trafficSchema) as object);
    for (const doc of [{ split: { '1.0.0': 100 } }, { split: {} }, { split: { x: 1 }, extra: true }, { labels: { Bad: '1' }, split: { a: 100 } }]) {
      expect(fromObject(doc)).toBe(fromJson(doc));
      expect(fromObject.errors ?? null).toEqual(fromJson.errors ?? null);
    }
  });
});
