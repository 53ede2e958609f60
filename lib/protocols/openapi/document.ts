import { listModels, type ModelEntry } from '../../repository/model-repository';
import { settings } from '../../settings';
import { sharedSchemas } from './components';
import { predictAnswerContent, predictRequestContent, servedVersions, usableVersions, versionSchemas, type UsableVersion } from './model-schemas';

/**
 * GET /openapi.json: the API as OpenAPI 3.1, generated from the deployed
 * manifests. Every route of serverless.yml under its template path (a test
 * compares them with the compiled CloudFormation both ways), and for each
 * model concrete predict paths that show its own schemas and examples.
 */

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });

/** What each error status means on these routes; every one has the one error body. */
const ERROR_MEANING: Record<string, string> = {
  '400': 'invalid_json, invalid_csv or validation_failed: the details name each failing field by JSON pointer (a table row by /rows/{n}/{field}, 1 = first data row)',
  '403': 'invalid_api_key: no or an unknown x-api-key (answered by API Gateway)',
  '404': 'model_not_found, or not_found: no such model, version, label or route',
  '413': 'payload_too_large: more records than MAX_BATCH, or a body over MAX_BODY_BYTES',
  '406': 'not_acceptable: an Accept that admits neither JSON nor CSV, or text/csv from a model whose answers are tensors',
  '415': 'unsupported_media_type: a Content-Type the route does not take (predict: JSON or CSV; /v2: JSON)',
  '422': "non_finite_output: the model's output is NaN or infinite for a record",
  '429': "throttled or quota_exceeded: the key's usage plan (answered by API Gateway)",
  '503': 'model_unavailable: the model or its traffic file cannot be used; the error says why',
  '5XX': 'internal_error: a bug; the log has the error with this request_id',
};

function errors(...statuses: string[]): Json {
  return Object.fromEntries(statuses.map((s) => [s, { description: ERROR_MEANING[s], content: json(ref('Error')) }]));
}

/** API Gateway's own answers on every keyed route, and a failure of ours. */
const KEYED_ERRORS = ['403', '429', '5XX'];

const versionHeader = {
  'X-Model-Version': { description: 'the version that answered (README, "Releasing a new version")', schema: { type: 'string' } },
};

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** No API key: the docs, which a browser opens without headers. */
  public?: boolean;
  parameters?: string[];
  requestBody?: Json;
  responses: Json;
}

function operation({ public: open, parameters, requestBody, responses, ...rest }: Operation): Json {
  return {
    ...rest,
    ...(open ? { security: [] } : {}),
    ...(parameters ? { parameters: parameters.map((p) => ({ $ref: `#/components/parameters/${p}` })) } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { ...responses, ...(open ? {} : errors(...KEYED_ERRORS)) },
  };
}

function predictOperation(id: string, summary: string, versions: readonly UsableVersion[], parameters: string[], tags = ['predict']): Json {
  return operation({
    operationId: id,
    summary,
    description: 'One record, or `{"instances": [records]}` (at most MAX_BATCH, 1000). Numeric fields may also be sent as numeric text ("29.85"); unknown fields and unknown categories are scored and reported in `warnings`.',
    tags,
    parameters,
    requestBody: { required: true, content: predictRequestContent(versions) },
    responses: { '200': { description: 'the prediction', headers: versionHeader, content: predictAnswerContent(versions) }, ...errors('400', '404', '406', '413', '415', '422', '503') },
  });
}

const readyAnswer = (schema: string) => ({
  '200': { description: 'ready', content: json(ref(schema)) },
  '503': { description: 'not ready: the body says which and why (or the error body for an unusable manifest)', content: json({ oneOf: [ref(schema), ref('Error')] }) },
});

/** The template routes, as serverless.yml declares them. */
function templatePaths(defaultVersions: readonly UsableVersion[], all: readonly UsableVersion[]): Record<string, Record<string, Json>> {
  const v2 = ['open inference protocol'];
  return {
    '/predict': { post: predictOperation('predictDefault', 'Score with the default model (DEFAULT_MODEL), as its traffic file splits it', defaultVersions, []) },
    '/models/{name}/predict': { post: predictOperation('predictModel', "Score with a model, as its traffic file splits it (the newest version without one)", all, ['name']) },
    '/models/{name}/versions/{version}/predict': { post: predictOperation('predictModelVersion', 'Score with exactly one version', all, ['name', 'version']) },
    '/models/{name}/labels/{label}/predict': { post: predictOperation('predictModelLabel', "Score with the version a label of the model's traffic file names", all, ['name', 'label']) },
    '/models': { get: operation({ operationId: 'listModels', summary: 'The deployed models, their versions and the default', tags: ['models'], responses: { '200': { description: 'the models', content: json(ref('ModelList')) } } }) },
    '/models/{name}': {
      get: operation({
        operationId: 'describeModel',
        summary: "A model's inputs, output, labels, request schema, traffic and metrics",
        tags: ['models'],
        parameters: ['name'],
        responses: { '200': { description: 'the model', content: json(ref('ModelDetail')) }, ...errors('404', '503') },
      }),
    },
    '/health': {
      get: operation({
        operationId: 'health',
        summary: 'Is the default model loaded (every version its traffic file serves)',
        tags: ['health'],
        responses: { '200': { description: 'loaded', content: json(ref('Health')) }, ...errors('503') },
      }),
    },
    '/v2': { get: operation({ operationId: 'v2ServerMetadata', summary: 'Server metadata', tags: v2, responses: { '200': { description: 'the server', content: json(ref('V2ServerMetadata')) } } }) },
    '/v2/health/live': { get: operation({ operationId: 'v2ServerLive', summary: 'Server liveness', tags: v2, responses: { '200': { description: 'live', content: json(ref('V2ServerLive')) } } }) },
    '/v2/health/ready': { get: operation({ operationId: 'v2ServerReady', summary: "Server readiness: every model's served versions are ready", tags: v2, responses: readyAnswer('V2ServerReady') }) },
    '/v2/models/{name}': {
      get: operation({ operationId: 'v2ModelMetadata', summary: "Model metadata: the graph's inputs and outputs", tags: v2, parameters: ['name'], responses: { '200': { description: 'the model', content: json(ref('V2ModelMetadata')) }, ...errors('404', '503') } }),
    },
    '/v2/models/{name}/versions/{version}': {
      get: operation({ operationId: 'v2ModelVersionMetadata', summary: "One version's metadata", tags: v2, parameters: ['name', 'version'], responses: { '200': { description: 'the version', content: json(ref('V2ModelMetadata')) }, ...errors('404', '503') } }),
    },
    '/v2/models/{name}/ready': { get: operation({ operationId: 'v2ModelReady', summary: 'Model readiness', tags: v2, parameters: ['name'], responses: { ...readyAnswer('V2ModelReady'), ...errors('404') } }) },
    '/v2/models/{name}/versions/{version}/ready': {
      get: operation({ operationId: 'v2ModelVersionReady', summary: "One version's readiness", tags: v2, parameters: ['name', 'version'], responses: { ...readyAnswer('V2ModelReady'), ...errors('404') } }),
    },
    '/v2/models/{name}/infer': { post: inferOperation('v2Infer', 'Inference on tensors, as the traffic file splits it', ['name']) },
    '/v2/models/{name}/versions/{version}/infer': { post: inferOperation('v2InferVersion', 'Inference on tensors with one version', ['name', 'version']) },
    '/openapi.json': {
      get: operation({
        operationId: 'openApiDocument',
        summary: 'This document',
        tags: ['docs'],
        public: true,
        responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { const: OPENAPI_VERSION }, info: { type: 'object' }, paths: { type: 'object' } } }) } },
      }),
    },
    '/docs': {
      get: operation({ operationId: 'docsPage', summary: 'This page: the document in Swagger UI, to try every route with a key', tags: ['docs'], public: true, responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } }),
    },
    '/docs/{asset}': {
      get: operation({
        operationId: 'docsAsset',
        summary: "The docs page's script and style (Swagger UI, bundled in the deployment)",
        tags: ['docs'],
        public: true,
        parameters: ['asset'],
        responses: {
          '200': { description: 'the file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } },
          ...errors('404'),
        },
      }),
    },
  };
}

function inferOperation(operationId: string, summary: string, parameters: string[]): Json {
  return operation({
    operationId,
    summary,
    description: "The Open Inference Protocol's inference request (kserve/open-inference-protocol, inference_rest.md), on the graph's own inputs and outputs (GET /v2/models/{name}).",
    tags: ['open inference protocol'],
    parameters,
    requestBody: { required: true, content: json(ref('V2InferenceRequest')) },
    responses: { '200': { description: 'the outputs', headers: versionHeader, content: json(ref('V2InferenceResponse')) }, ...errors('400', '404', '413', '415', '422', '503') },
  });
}

/**
 * Per model: its served predict path, and one per usable version, each with
 * only that model's schemas. `x-template` names the route that serves it.
 */
function concretePaths(models: readonly ModelEntry[]): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const model of models) {
    const tags = [`model ${model.name}`];
    const served = servedVersions(model);
    if (served.length > 0) {
      paths[`/models/${model.name}/predict`] = {
        'x-template': '/models/{name}/predict',
        post: predictOperation(`predict_${model.name}`, `Score with ${model.name}`, served, [], tags),
      };
    }
    for (const v of usableVersions(model)) {
      paths[`/models/${model.name}/versions/${v.version}/predict`] = {
        'x-template': '/models/{name}/versions/{version}/predict',
        post: predictOperation(`predict_${model.name}_${v.version}`, `Score with ${model.name} ${v.version}`, [v], [], tags),
      };
    }
  }
  return paths;
}

export const OPENAPI_VERSION = '3.1.0';

function parameters(models: readonly ModelEntry[]): Json {
  const path = (name: string, description: string, schema: Json) => ({ name, in: 'path', required: true, description, schema });
  return {
    name: path('name', 'a deployed model', { type: 'string', enum: models.map((m) => m.name) }),
    version: path('version', "a version of the model (GET /models/{name} lists them)", ref('Version')),
    label: path('label', "a label of the model's traffic file (e.g. stable, canary)", { type: 'string' }),
    asset: path('asset', 'a file of the docs page', { type: 'string' }),
  };
}

const DESCRIPTION = `ONNX models served from AWS Lambda behind API Gateway.

Every route but the documentation needs an API key in the \`x-api-key\` header: press **Authorize**, paste the key, then **Try it out** on a route. Locally (\`npm start\`) the key is printed at start; deployed, \`npx serverless info\` prints it.

Every error has one body (\`Error\`): \`error\` is a message, \`code\` a documented machine-readable code, \`details\` the failing fields as JSON pointers into the request, \`request_id\` what to look for in the logs.`;

function build(models: readonly ModelEntry[]): Json {
  const all = models.flatMap(usableVersions);
  const defaultModel = models.find((m) => m.name === settings.defaultModel());
  const defaultVersions = defaultModel ? servedVersions(defaultModel) : [];
  return {
    openapi: OPENAPI_VERSION,
    info: { title: settings.serviceName(), version: settings.serviceVersion(), description: DESCRIPTION },
    tags: [
      { name: 'predict', description: 'Score records with a model, in the request format of its kind' },
      { name: 'models', description: 'What is deployed' },
      { name: 'health', description: 'Whether the default model is loaded' },
      { name: 'open inference protocol', description: 'KServe V2 REST routes, on tensors' },
      ...models.map((m) => ({ name: `model ${m.name}`, description: m.versions.at(-1)!.manifest?.description ?? m.versions.at(-1)!.problem ?? '' })),
      { name: 'docs', description: 'This document and its page; no API key needed' },
    ],
    security: [{ apiKey: [] }],
    // A predict route whose model has no usable version has no schema to offer: every model of the deployment stands in.
    paths: { ...templatePaths(defaultVersions.length > 0 ? defaultVersions : all, all), ...concretePaths(models) },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "the API key of the caller's usage plan" } },
      parameters: parameters(models),
      schemas: { ...sharedSchemas, ...Object.assign({}, ...all.map(versionSchemas)) },
    },
  };
}

// One document per repository read (listModels caches it per container, model tools and tests forget it).
const built = new WeakMap<readonly ModelEntry[], Json>();

/**
 * The document, with `serverUrl` (where this API is, as the request came in:
 * ./base-path.ts) as its one server.
 */
export function openApiDocument(serverUrl: string): Json {
  const models = listModels();
  let document = built.get(models);
  if (!document) {
    document = build(models);
    built.set(models, document);
  }
  const { openapi, info, ...rest } = document;
  return { openapi, info, servers: [{ url: serverUrl, description: 'this API, as the document was requested' }], ...rest };
}
