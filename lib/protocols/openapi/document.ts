import { models as listModels } from '../../dataplane/describe';
import { routes, type Route } from '../../http/routes';
import type { ModelEntry } from '../../repository/model-repository';
import { ERROR_CODES, type ErrorCode } from '../../errors';
import { settings } from '../../settings';
import { sharedSchemas } from './components';
import { predictAnswerContent, predictQueryParameters, predictRequestContent, servedVersions, usableVersions, versionSchemas, type UsableVersion } from './model-schemas';

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
  '400': 'invalid_json, invalid_csv, invalid_form, invalid_image or validation_failed: the details name each failing field by JSON pointer (a table row by /rows/{n}/{field}, 1 = first data row)',
  '403': "invalid_api_key: no or an unknown x-api-key; access_denied: a caller outside the stage's allowed addresses; request_blocked: the web application firewall's managed rules (all answered by API Gateway)",
  '404': 'model_not_found, or not_found: no such model, version, label or route',
  '413': 'payload_too_large: more records than MAX_BATCH, a body over MAX_BODY_BYTES, or a picture of more pixels than are decoded',
  '406': 'not_acceptable: an Accept that admits no answer format of the route (predict: JSON or CSV; /v2: JSON), or text/csv from a model whose answers are tensors',
  '415': "unsupported_media_type: a Content-Type the route or the model does not take (predict: JSON, CSV for models that take records, pictures and forms for image models; /v2: JSON), or a file that is not the picture its type says",
  '422': "non_finite_output: the model's output is NaN or infinite for a record; inference_failed: onnxruntime cannot run the graph on tensors of these shapes",
  '429': "throttled or quota_exceeded: the key's usage plan (answered by API Gateway); rate_limited: too many requests from one address (the web application firewall). Each carries Retry-After, in seconds. record_limit_exceeded: a batch job past the plan's daily record limit (README, \"Batch scoring\")",
  '503': 'model_unavailable: the model or its traffic file cannot be used; the error says why. batch_jobs_unavailable: a stage without the batch state machine (npm start)',
  '5XX': 'internal_error: a bug; the log has the error with this request_id. function_unavailable: a 500 when the function is at its concurrency limit (retry after Retry-After seconds), a 502 when it failed (answered by API Gateway)',
};

/** The codes each status carries (lib/errors.ts's ERROR_CODES), shown as examples with their real messages. */
const CODES_OF: Record<string, ErrorCode[]> = {
  '400': ['validation_failed', 'invalid_json', 'invalid_csv', 'invalid_form', 'invalid_image', 'invalid_event', 'bad_request'],
  '403': ['invalid_api_key', 'access_denied', 'request_blocked'],
  '404': ['model_not_found', 'not_found'],
  '406': ['not_acceptable'],
  '413': ['payload_too_large'],
  '415': ['unsupported_media_type'],
  '422': ['non_finite_output', 'inference_failed'],
  '429': ['throttled', 'quota_exceeded', 'rate_limited', 'record_limit_exceeded'],
  '503': ['model_unavailable', 'batch_jobs_unavailable'],
  '5XX': ['internal_error', 'function_unavailable', 'gateway_error'],
};

const errorExample = (code: ErrorCode) => ({
  summary: code,
  value: { error: ERROR_CODES[code], code, details: code === 'validation_failed' ? [{ path: '/tenure', problem: 'must be >= 0' }] : [], request_id: 'c0ffee00-0000-4000-8000-000000000000' },
});

function errors(...statuses: string[]): Json {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: ERROR_MEANING[s], content: { 'application/json': { schema: ref('Error'), examples: Object.fromEntries((CODES_OF[s] ?? []).map((c) => [c, errorExample(c)])) } } }]),
  );
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
  /** Query parameters, inline. */
  query?: Json[];
  requestBody?: Json;
  responses: Json;
}

function operation({ public: open, parameters, query, requestBody, responses, ...rest }: Operation): Json {
  const all = [...(parameters ?? []).map((p) => ({ $ref: `#/components/parameters/${p}` })), ...(query ?? [])];
  return {
    ...rest,
    ...(open ? { security: [] } : {}),
    ...(all.length > 0 ? { parameters: all } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { ...responses, ...(open ? {} : errors(...KEYED_ERRORS)) },
  };
}

const PREDICT_DESCRIPTION =
  'One record, or `{"instances": [records]}` (at most MAX_BATCH, 1000). Numeric fields may also be sent as numeric text ("29.85"); unknown fields and unknown categories are scored and reported in `warnings`.';
const INFER_DESCRIPTION =
  "The Open Inference Protocol's inference request (kserve/open-inference-protocol, inference_rest.md), on the graph's own inputs and outputs (GET /v2/models/{name}).";

const readyAnswer = (schema: string) => ({
  '200': { description: 'ready', content: json(ref(schema)) },
  '503': { description: 'not ready: the body says which and why (or the error body for an unusable manifest)', content: json({ oneOf: [ref(schema), ref('Error')] }) },
});

/** A route's 200 answer, from the table's `answer`: a schema of components, or one of the special answers. */
function answerOf(answer: string, versions: readonly UsableVersion[]): Json {
  switch (answer) {
    case 'predict':
      return { '200': { description: 'the prediction', headers: versionHeader, content: predictAnswerContent(versions) } };
    case 'infer':
      return { '200': { description: 'the outputs', headers: versionHeader, content: json(ref('V2InferenceResponse')) } };
    case 'document':
      return { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { const: OPENAPI_VERSION }, info: { type: 'object' }, paths: { type: 'object' } } }) } };
    case 'html':
      return { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } };
    case 'asset':
      return { '200': { description: 'the file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } } };
    default:
      if (answer.startsWith('accepted:')) return { '202': { description: 'accepted: the work is started; follow it at the answer\'s own route', content: json(ref(answer.slice('accepted:'.length))) } };
      return answer.startsWith('ready:') ? readyAnswer(answer.slice('ready:'.length)) : { '200': { description: 'the answer', content: json(ref(answer)) } };
  }
}

/** The path parameters a template names, in order: "/models/{name}/versions/{version}" → name, version. */
const pathParameters = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** One route of the table as an OpenAPI operation; `versions` give a predict route its request and answer schemas. */
function routeOperation(route: Route, versions: readonly UsableVersion[], overrides: Partial<Operation> = {}): Json {
  const requestBody =
    route.body === 'predict'
      ? { required: true, content: predictRequestContent(versions) }
      : route.body === 'infer'
        ? { required: true, content: json(ref('V2InferenceRequest')) }
        : route.body !== undefined
          ? { required: true, content: json(ref(route.body)) }
          : undefined;
  const description = route.body === 'predict' ? PREDICT_DESCRIPTION : route.body === 'infer' ? INFER_DESCRIPTION : undefined;
  return operation({
    operationId: route.operation,
    summary: route.summary,
    ...(description ? { description } : {}),
    tags: route.tags,
    public: route.keyed === false,
    parameters: pathParameters(route.path),
    ...(route.body === 'predict' ? { query: predictQueryParameters(versions) } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: { ...answerOf(route.answer, versions), ...errors(...route.errors) },
    ...overrides,
  });
}

/** Every route of the table (lib/http/routes.js) under its template path, as serverless.yml declares it. */
function templatePaths(defaultVersions: readonly UsableVersion[], all: readonly UsableVersion[]): Record<string, Record<string, Json>> {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const versions = route.operation === 'predictDefault' ? defaultVersions : all;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = routeOperation(route, versions);
  }
  return paths;
}

/**
 * Per model: its served predict path, and one per usable version, each with
 * only that model's schemas. `x-template` names the route that serves it.
 */
function concretePaths(models: readonly ModelEntry[]): Record<string, Json> {
  const paths: Record<string, Json> = {};
  const byModel = routes.find((r) => r.path === '/models/{name}/predict')!;
  const byVersion = routes.find((r) => r.path === '/models/{name}/versions/{version}/predict')!;
  for (const model of models) {
    const tags = [`model ${model.name}`];
    const served = servedVersions(model);
    if (served.length > 0) {
      paths[`/models/${model.name}/predict`] = {
        'x-template': byModel.path,
        post: routeOperation(byModel, served, { operationId: `predict_${model.name}`, summary: `Score with ${model.name}`, parameters: [], tags }),
      };
    }
    for (const v of usableVersions(model)) {
      paths[`/models/${model.name}/versions/${v.version}/predict`] = {
        'x-template': byVersion.path,
        post: routeOperation(byVersion, [v], { operationId: `predict_${model.name}_${v.version}`, summary: `Score with ${model.name} ${v.version}`, parameters: [], tags }),
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
    id: path('id', 'a batch job, as POST /models/{name}/batch-jobs answered it', { type: 'string' }),
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
      { name: 'monitoring', description: 'Ground truth for captured inferences (X-Inference-Id), and what the monitor found: drift and live quality' },
      { name: 'batch', description: 'Score a whole CSV or JSON-lines object of S3 with Step Functions, and follow the job' },
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
