import { kindOf, type Manifest } from '../../kinds';
import type { ModelEntry } from '../../repository/model-repository';
import { servableVersions } from '../../rollout/route';
import { ANSWER_FORMATS, REQUEST_FORMATS } from '../rest/formats';

/**
 * What /openapi.json says of each deployed model version: its predict
 * request and answer schemas (the very schemas the kind validates requests
 * with and shapes answers by) and examples from its golden cases.
 */

/** A version whose manifest is valid; the others are left out of the document (their routes answer 503). */
export interface UsableVersion {
  name: string;
  version: string;
  manifest: Manifest;
}

/** Golden cases shown as examples per version: enough to try, few enough to keep the document small. */
const MAX_EXAMPLES = 3;

const schemaName = (v: UsableVersion, part: 'request' | 'answer') => `${v.name}.${v.version}.${part}`;
const schemaRef = (v: UsableVersion, part: 'request' | 'answer') => ({ $ref: `#/components/schemas/${schemaName(v, part)}` });
// No usable version at all (every manifest broken): the route answers 503, and any object stands for the body.
const oneOrAny = (schemas: Record<string, unknown>[]) => (schemas.length === 0 ? { type: 'object' } : schemas.length === 1 ? schemas[0]! : { anyOf: schemas });

export function usableVersions(model: ModelEntry): UsableVersion[] {
  return model.versions.flatMap((v) => (v.manifest ? [{ name: v.name, version: v.version, manifest: v.manifest }] : []));
}

/** The versions POST /models/{name}/predict can answer with (its traffic file's, or the newest), or none when the file cannot be used. */
export function servedVersions(model: ModelEntry): UsableVersion[] {
  const traffic = model.traffic;
  if (traffic !== null && 'problem' in traffic) return [];
  const served = new Set(servableVersions(model, traffic?.traffic ?? null).map((v) => v.version));
  return usableVersions(model).filter((v) => served.has(v.version));
}

/** components.schemas of one version: `<name>.<version>.request` and `<name>.<version>.answer`. */
export function versionSchemas(v: UsableVersion): Record<string, unknown> {
  const kind = kindOf(v.manifest);
  // The route adds which model and version answered, and any warnings (lib/protocols/rest/predict.ts).
  const envelope = {
    type: 'object',
    required: ['model'],
    properties: {
      model: {
        type: 'object',
        required: ['name', 'version'],
        additionalProperties: false,
        properties: { name: { const: v.name }, version: { const: v.version } },
      },
      warnings: { $ref: '#/components/schemas/Warnings' },
    },
  };
  return {
    [schemaName(v, 'request')]: { description: `${v.name} ${v.version}: one record, or {"instances": [records]}. ${kind.summary}`, ...kind.requestSchema(v.manifest) },
    [schemaName(v, 'answer')]: { description: `${v.name} ${v.version}'s answer`, allOf: [kind.answerSchema(v.manifest), envelope], unevaluatedProperties: false },
  };
}

/**
 * The golden cases as examples: the requests of those that carry a JSON body
 * (record kinds; tensor models store a seed and shapes, image models a
 * picture file), and the answers of every one.
 */
function goldenExamples(v: UsableVersion, withRequest = true) {
  const jsonRequest = (c: UsableVersion['manifest']['golden']['cases'][number]) => c.request !== undefined && c.content_type === undefined;
  return v.manifest.golden.cases
    .filter((c) => jsonRequest(c) || (!withRequest && c.content_type !== undefined))
    .slice(0, MAX_EXAMPLES)
    .map((c, i) => ({ key: `${v.name}-${v.version}-golden-${i + 1}`, summary: `${v.name} ${v.version}: golden case ${i + 1}`, request: c.request, answer: c.answer }));
}

/**
 * The request body of a predict route answered by these versions, by content
 * type, from the formats table (lib/protocols/rest/formats): each model's own
 * JSON schema, and the table formats (pandas, MLflow, CSV) when a version
 * takes records. JSON formats are told apart by their keys, so they are
 * alternatives under one media type.
 */
export function predictRequestContent(versions: readonly UsableVersion[]): Record<string, unknown> {
  const byMedia = new Map<string, Record<string, unknown>[]>();
  for (const format of REQUEST_FORMATS) {
    const takers = versions.filter((v) => format.takes(v.manifest));
    if (takers.length === 0) continue;
    const schemas =
      format.id === 'model-json'
        ? takers.map((v) => schemaRef(v, 'request'))
        : [{ title: format.title, description: format.description, ...format.schema(takers[0]!.manifest) }];
    byMedia.set(format.mediaType, [...(byMedia.get(format.mediaType) ?? []), ...schemas]);
  }
  const examples = versions.flatMap((v) => goldenExamples(v)).map((e) => [e.key, { summary: e.summary, value: e.request }]);
  const content: Record<string, unknown> = {};
  for (const [media, schemas] of byMedia) {
    content[media] = { schema: oneOrAny(schemas), ...(media === 'application/json' && examples.length > 0 ? { examples: Object.fromEntries(examples) } : {}) };
  }
  if (content['application/json'] === undefined) content['application/json'] = { schema: oneOrAny([]) };
  // Files as the whole body, or a browser form's file field: the docs page offers a file picker for each.
  const fileTypes = [...new Set(versions.flatMap((v) => kindOf(v.manifest).fileTypes))];
  for (const type of fileTypes) content[type] = { schema: { type: 'string', format: 'binary', contentMediaType: type, description: `the picture itself (${type})` } };
  if (fileTypes.length > 0) {
    content['multipart/form-data'] = {
      schema: {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', format: 'binary', description: `the picture (${fileTypes.join(', ')}), as a browser form uploads it` },
          top_k: { type: 'integer', minimum: 1, description: 'how many labels to answer' },
        },
      },
      encoding: { image: { contentType: fileTypes.join(', ') } },
    };
  }
  return content;
}

/** The query parameters of a predict route answered by these versions: top_k when one of them answers top labels (an image model). */
export function predictQueryParameters(versions: readonly UsableVersion[]): Record<string, unknown>[] {
  if (!versions.some((v) => kindOf(v.manifest).fileTypes.length > 0)) return [];
  return [{ name: 'top_k', in: 'query', required: false, description: 'image models: how many labels to answer (default: the manifest\'s top_k; more than there are: every label)', schema: { type: 'integer', minimum: 1 } }];
}

/**
 * The 200 answer of a predict route answered by these versions, with the
 * golden answers as examples; CSV (on Accept: text/csv) when a version's kind
 * answers records.
 */
export function predictAnswerContent(versions: readonly UsableVersion[]): Record<string, unknown> {
  const examples = versions.flatMap((v) =>
    goldenExamples(v, false).map((e) => [e.key, { summary: e.summary, value: { ...(e.answer as Record<string, unknown>), model: { name: v.name, version: v.version } } }]),
  );
  const content: Record<string, unknown> = {
    'application/json': { schema: oneOrAny(versions.map((v) => schemaRef(v, 'answer'))), ...(examples.length > 0 ? { examples: Object.fromEntries(examples) } : {}) },
  };
  for (const format of ANSWER_FORMATS) {
    if (format.schema === null || !versions.some((v) => format.takes(v.manifest))) continue;
    content[format.mediaType] = { schema: { description: format.description, ...format.schema } };
  }
  return content;
}
