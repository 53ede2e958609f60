import type { ErrorObject, ValidateFunction } from 'ajv';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { compileSchema } from '../ajv';
import { NAME_PATTERN, VERSION_PATTERN } from '../manifest/base';
import { shorten } from '../shorten';

/**
 * models/<name>/traffic.json (README, "Releasing a new version"): which
 * versions a model's unversioned routes serve. Optional: without it the
 * newest version serves everything.
 */
export const trafficSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['split'],
  properties: {
    /** Names for versions: POST /models/{name}/labels/{label}/predict. */
    labels: { type: 'object', propertyNames: { pattern: NAME_PATTERN }, additionalProperties: { type: 'string', pattern: VERSION_PATTERN } },
    /** Integer weights in percent, summing to 100, drawn per request. */
    split: { type: 'object', minProperties: 1, propertyNames: { pattern: VERSION_PATTERN }, additionalProperties: { type: 'integer', minimum: 0, maximum: 100 } },
    /** Also scores every split-routed request; its answer is never returned. */
    shadow: { type: 'string', pattern: VERSION_PATTERN },
    /** "api_key": a caller (by API key id) stays on one version of a given split. */
    sticky: { enum: ['api_key'] },
  },
} as const satisfies JSONSchema;

/** The file as its schema takes it. */
export type TrafficFile = FromSchema<typeof trafficSchema>;
/** The file as parseTraffic() returns it, `labels` filled in. */
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
