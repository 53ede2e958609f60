import * as Type from '@sinclair/typebox';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from '../ajv';
import { Dictionary, StringEnum } from '../json-schema';
import { NAME_PATTERN, VERSION_PATTERN } from '../manifest/base';
import { shorten } from '../shorten';

/**
 * models/<name>/traffic.json (README, "Releasing a new version"): which
 * versions a model's unversioned routes serve. Optional: without it the
 * newest version serves everything.
 */
export const trafficSchema = Type.Object(
  {
    /** Names for versions: POST /models/{name}/labels/{label}/predict. */
    labels: Type.Optional(Dictionary(Type.String({ pattern: VERSION_PATTERN }), { propertyNames: { pattern: NAME_PATTERN } })),
    /** Integer weights in percent, summing to 100, drawn per request. */
    split: Dictionary(Type.Integer({ minimum: 0, maximum: 100 }), { minProperties: 1, propertyNames: { pattern: VERSION_PATTERN } }),
    /** Also scores every split-routed request; its answer is never returned. */
    shadow: Type.Optional(Type.String({ pattern: VERSION_PATTERN })),
    /** "api_key": a caller (by API key id) stays on one version of a given split. */
    sticky: Type.Optional(StringEnum(['api_key'])),
  },
  { additionalProperties: false },
);

/** The file as the schema takes it; parseTraffic() fills in `labels`. */
export type TrafficFile = Type.Static<typeof trafficSchema>;
export type Traffic = TrafficFile & { labels: NonNullable<TrafficFile['labels']> };

let validate: ValidateFunction<TrafficFile> | undefined;

function describe(error: ErrorObject): string {
  const at = error.instancePath || '/';
  if (error.keyword === 'additionalProperties') return `unknown field "${shorten(String(error.params.additionalProperty))}"`;
  if (error.keyword === 'propertyNames') return `${at}: "${shorten(String(error.params.propertyName))}" is not a valid name`;
  return `${at} ${error.message ?? 'is invalid'}`;
}

/**
 * The parsed file, or the reason it cannot be used: bad JSON, an unknown
 * field, weights that are not integers or do not sum to 100, a version that
 * is not deployed. Whether the versions load is the registry's to check.
 */
export function parseTraffic(text: string, versions: readonly string[]): { traffic: Traffic } | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'traffic.json is not valid JSON' };
  }
  validate ??= compileSchema<TrafficFile>(trafficSchema);
  if (!validate(parsed)) return { problem: `traffic.json is invalid: ${describe(validate.errors![0]!)}` };
  const traffic: Traffic = { ...parsed, labels: parsed.labels ?? {} };
  const total = Object.values(traffic.split).reduce((a, b) => a + b, 0);
  if (total !== 100) return { problem: `traffic.json is invalid: the split's weights sum to ${total}, not 100` };
  const named = [...Object.keys(traffic.split), ...Object.values(traffic.labels), ...(traffic.shadow ? [traffic.shadow] : [])];
  const missing = named.find((v) => !versions.includes(v));
  if (missing !== undefined) return { problem: `traffic.json names version "${missing}", which is not deployed (versions: ${versions.join(', ')})` };
  return { traffic };
}
