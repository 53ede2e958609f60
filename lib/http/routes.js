'use strict';
// The one route table (README, "Layout: adding a route"). serverless.yml
// builds its `functions:` from it (serverlessFunctions, through ${file()}),
// each handler dispatches from it (lib/http/dispatch.ts), and /openapi.json,
// the alarms and the dashboard are generated from it. Plain CommonJS so that
// the Serverless CLI can require it as it is; routes.d.ts gives TypeScript
// its shape.

/**
 * One function per kind of work, each its own bundle. Those that score load
 * onnxruntime and the default model during init; `models` reads manifests
 * only, so its cold start stays small; `docs` alone serves the OpenAPI
 * document and Swagger UI, so no scoring function loads them.
 */
const functions = {
  predict: {
    description: 'Scores one record or a batch (default model, a named model by its traffic split, a label or an exact version)',
    // A hard cap on concurrent containers: a runaway client costs at most this much.
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: true,
    throttleAlarm: true,
  },
  health: {
    description: 'Reports whether the default model is loaded',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: true,
  },
  models: {
    description: 'Lists the deployed models and describes one (manifests only, no onnxruntime)',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: true,
  },
  'v2-metadata': {
    description: 'Open Inference Protocol server and model metadata, liveness and readiness',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: true,
  },
  'v2-infer': {
    description: 'Open Inference Protocol inference',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: true,
    throttleAlarm: true,
  },
  monitoring: {
    description: 'Ground truth for captured inferences, and the latest monitoring report of a model (README, "Monitoring")',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: true,
    // Its own IAM role (resources/monitoring.js): it alone of the API's functions reads the monitoring bucket (reports/ only).
    role: 'MonitoringFunctionRole',
  },
  'batch-jobs': {
    description: 'Starts a batch scoring job over an S3 input (a Step Functions execution) and reports one (README, "Batch scoring")',
    concurrencyParam: 'reservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: true,
    // Its own IAM role (resources/batch.js): StartExecution and DescribeExecution of the batch state machine, the caller's usage plan, the usage ledger; no job data.
    role: 'BatchJobsFunctionRole',
  },
  docs: {
    description: 'The OpenAPI document and the interactive docs page (Swagger UI)',
    // Public on purpose (README, "The API"): its own small cap bounds what
    // anonymous traffic can cost. No throttle alarm: a crawler can reach that
    // cap without any client of the API failing (the dashboard shows it).
    concurrencyParam: 'docsReservedConcurrency',
    latencyAlarm: false,
    throttleAlarm: false,
  },
};

/**
 * Functions no route reaches, run by an EventBridge schedule. Apart from
 * `functions`, whose every entry has routes (tests/dispatch.test.ts) and which
 * the dispatcher and /openapi.json read; serverlessFunctions and the errors
 * alarm (resources/function-alarms.js) take both tables.
 */
const scheduled = {
  monitor: {
    description: 'Drift and live quality of every model version from the captures: writes reports/ and the monitoring metrics (README, "Monitoring")',
    // serverless.yml's params: how often it runs (an EventBridge rate or cron expression), and whether (not on `local`, where `npm run monitor` runs it).
    scheduleParam: 'monitorSchedule',
    // Reads MONITOR_WINDOW_HOURS (24) of captures from S3 and computes histograms:
    // seconds for a day of captures at the default share, so 300 s leaves room
    // for a day a hundred times larger, and a stuck run ends long before the
    // next hourly one (Lambda allows 900 s to functions API Gateway does not wait on).
    timeout: 300,
    // One run at a time: two overlapping runs would race on latest.json.
    reservedConcurrency: 1,
    // A failed or throttled run is not retried: the next scheduled one reads the same window.
    maximumRetryAttempts: 0,
    maximumEventAge: 3600,
    // Its own IAM role (resources/monitoring.js): captures/ read, reports/ write.
    role: 'MonitorFunctionRole',
  },
  'key-expiry': {
    description: 'Disables the customer API keys whose rotation grace has ended (their expires-at tag; README, "Access")',
    // Every 10 minutes (serverless.yml's params): a rotated key works at most that long after its grace; not on `local`, whose gateway refuses it itself.
    scheduleParam: 'keyExpirySchedule',
    // A page of GetApiKeys and an UpdateApiKey per expired key: seconds.
    timeout: 60,
    reservedConcurrency: 1,
    // A failed run is not retried: the next one finds the same keys.
    maximumRetryAttempts: 0,
    maximumEventAge: 600,
    // Its own IAM role (resources/key-expiry.js): API Gateway's API keys read and patched, nothing else.
    role: 'KeyExpiryFunctionRole',
    // The schedule's event: the name each customer key of the stage starts with (scripts/keys/naming.ts, customerKeyPrefix).
    input: { keyNamePrefix: '${self:service}-${sls:stage}-customer-' },
  },
};

/**
 * Functions no route or schedule reaches: the batch state machine's steps
 * (resources/batch.js), invoked by Step Functions with an event of its own.
 */
const steps = {
  batch: {
    description: 'The batch scoring job\'s steps (README, "Batch scoring"): plan byte ranges, score ranges from S3, assemble the parts in order',
    // A range of batchRangeBytes scores in seconds; the plan reads the whole input once (about a minute per GB), so Lambda's most.
    timeout: 900,
    // 1769 MB is one full vCPU: scoring is CPU-bound.
    memorySize: 1769,
    // Each execution runs at most batchMaxConcurrency at a time; this caps all jobs of the stage together.
    concurrencyParam: 'batchReservedConcurrency',
    // Step Functions retries a failed step itself (resources/batch.js); Lambda's own async retries do not apply to a synchronous invoke.
    role: 'BatchFunctionRole',
  },
};

/**
 * The headers a browser may send on the CORS routes: the Serverless
 * Framework's defaults for `cors: true`, and X-Inference-Id, which a caller
 * may give predict and infer requests to name its own capture (README, "Monitoring").
 */
const CORS_HEADERS = ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id', 'X-Inference-Id'];

const V2 = ['open inference protocol'];

/**
 * Every route. `operation` is the OpenAPI operationId and the name the
 * handler answers it under; `keyed: false` only for the docs, which a browser
 * opens without headers (tests/package/cloudformation.test.ts names exactly
 * those); `body` and `answer` name the request and answer schemas
 * (lib/protocols/openapi/document.ts); `errors` the statuses the route
 * answers itself besides the gateway's.
 */
const routes = [
  { operation: 'predictDefault', function: 'predict', method: 'POST', path: '/predict', summary: 'Score with the default model (DEFAULT_MODEL), as its traffic file splits it', tags: ['predict'], body: 'predict', answer: 'predict', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'predictModel', function: 'predict', method: 'POST', path: '/models/{name}/predict', summary: 'Score with a model, as its traffic file splits it (the newest version without one)', tags: ['predict'], body: 'predict', answer: 'predict', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'predictModelVersion', function: 'predict', method: 'POST', path: '/models/{name}/versions/{version}/predict', summary: 'Score with exactly one version', tags: ['predict'], body: 'predict', answer: 'predict', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'predictModelLabel', function: 'predict', method: 'POST', path: '/models/{name}/labels/{label}/predict', summary: "Score with the version a label of the model's traffic file names", tags: ['predict'], body: 'predict', answer: 'predict', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'health', function: 'health', method: 'GET', path: '/health', summary: 'Is the default model loaded (every version its traffic file serves)', tags: ['health'], answer: 'Health', errors: ['503'] },
  { operation: 'listModels', function: 'models', method: 'GET', path: '/models', summary: 'The deployed models, their versions and the default', tags: ['models'], answer: 'ModelList', errors: [] },
  { operation: 'describeModel', function: 'models', method: 'GET', path: '/models/{name}', summary: "A model's inputs, output, labels, request schema, traffic and metrics", tags: ['models'], answer: 'ModelDetail', errors: ['404', '503'] },
  { operation: 'describeModelVersion', function: 'models', method: 'GET', path: '/models/{name}/versions/{version}', summary: "One version's inputs, output, labels, request schema and metrics", tags: ['models'], answer: 'ModelDetail', errors: ['404', '503'] },
  { operation: 'v2ServerMetadata', function: 'v2-metadata', method: 'GET', path: '/v2', summary: 'Server metadata', tags: V2, answer: 'V2ServerMetadata', errors: [] },
  { operation: 'v2ServerLive', function: 'v2-metadata', method: 'GET', path: '/v2/health/live', summary: 'Server liveness', tags: V2, answer: 'V2ServerLive', errors: [] },
  { operation: 'v2ServerReady', function: 'v2-metadata', method: 'GET', path: '/v2/health/ready', summary: "Server readiness: every model's served versions are ready", tags: V2, answer: 'ready:V2ServerReady', errors: [] },
  { operation: 'v2ModelMetadata', function: 'v2-metadata', method: 'GET', path: '/v2/models/{name}', summary: "Model metadata: the graph's inputs and outputs", tags: V2, answer: 'V2ModelMetadata', errors: ['404', '503'] },
  { operation: 'v2ModelVersionMetadata', function: 'v2-metadata', method: 'GET', path: '/v2/models/{name}/versions/{version}', summary: "One version's metadata", tags: V2, answer: 'V2ModelMetadata', errors: ['404', '503'] },
  { operation: 'v2ModelReady', function: 'v2-metadata', method: 'GET', path: '/v2/models/{name}/ready', summary: 'Model readiness', tags: V2, answer: 'ready:V2ModelReady', errors: ['404'] },
  { operation: 'v2ModelVersionReady', function: 'v2-metadata', method: 'GET', path: '/v2/models/{name}/versions/{version}/ready', summary: "One version's readiness", tags: V2, answer: 'ready:V2ModelReady', errors: ['404'] },
  { operation: 'v2Infer', function: 'v2-infer', method: 'POST', path: '/v2/models/{name}/infer', summary: 'Inference on tensors, as the traffic file splits it', tags: V2, body: 'infer', answer: 'infer', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'v2InferVersion', function: 'v2-infer', method: 'POST', path: '/v2/models/{name}/versions/{version}/infer', summary: 'Inference on tensors with one version', tags: V2, body: 'infer', answer: 'infer', errors: ['400', '404', '406', '413', '415', '422', '503'] },
  { operation: 'sendFeedback', function: 'monitoring', method: 'POST', path: '/models/{name}/feedback', summary: 'The true outcome of captured inferences (by X-Inference-Id), one or a batch, for live quality', tags: ['monitoring'], body: 'FeedbackRequest', answer: 'FeedbackAccepted', errors: ['400', '404', '413', '415', '503'] },
  { operation: 'describeMonitoring', function: 'monitoring', method: 'GET', path: '/models/{name}/monitoring', summary: "The latest monitoring report's summary: drift per feature, prediction drift, live quality", tags: ['monitoring'], answer: 'MonitoringSummary', errors: ['404', '503'] },
  { operation: 'startBatchJob', function: 'batch-jobs', method: 'POST', path: '/models/{name}/batch-jobs', summary: 'Start a batch job: score a CSV or JSON-lines object of S3, or a prefix of pictures, into an output prefix (README, "Batch scoring")', tags: ['batch'], body: 'BatchJobRequest', answer: 'accepted:BatchJob', errors: ['400', '404', '413', '415', '429', '503'] },
  { operation: 'describeBatchJob', function: 'batch-jobs', method: 'GET', path: '/models/{name}/batch-jobs/{id}', summary: "A batch job's status, counts and output (the caller's own jobs only)", tags: ['batch'], answer: 'BatchJob', errors: ['404', '503'] },
  { operation: 'openApiDocument', function: 'docs', method: 'GET', path: '/openapi.json', keyed: false, summary: 'This document', tags: ['docs'], answer: 'document', errors: [] },
  // No CORS on the page and its files: a browser opens them, no script fetches them.
  { operation: 'docsPage', function: 'docs', method: 'GET', path: '/docs', keyed: false, cors: false, summary: 'This page: the document in Swagger UI, to try every route with a key', tags: ['docs'], answer: 'html', errors: [] },
  { operation: 'docsAsset', function: 'docs', method: 'GET', path: '/docs/{asset}', keyed: false, cors: false, summary: "The docs page's script and style (Swagger UI, bundled in the deployment)", tags: ['docs'], answer: 'asset', errors: ['404'] },
];

/** The Serverless Framework's logical id of a function's resource ("v2-infer" → "V2DashinferLambdaFunction"). */
function lambdaLogicalId(name) {
  const normalized = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized[0].toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/**
 * A function's `environment`: on the local stage the settings given in the
 * shell (params.local.settingsFromShell); elsewhere its own, if
 * serverless.yml's custom.functionEnvironment has an entry for it, else none
 * beyond provider.environment.
 */
const environmentOf = (name) => `\${param:settingsFromShell, self:custom.functionEnvironment.${name}, null}`;

/**
 * How a function's code is given: the zip's handler file, or, when the
 * `image` param names a container image (`<uri>@sha256:<digest>`, README
 * "Large models"), that image with the same handler as its command: the image
 * carries the zip's files (Dockerfile, scripts/image-task-root.js).
 */
const codeOf = (name, image) => (image ? { image: { uri: image, command: [`handlers/${name}.handler`] } } : { handler: `handlers/${name}.handler` });

/** A digest, never a tag: a tag can move, so the stack would not say which image runs. */
const IMAGE_PATTERN = /^[^@\s]+@sha256:[a-f0-9]{64}$/;

/** serverless.yml's `functions:`: ${file(lib/http/routes.js):serverlessFunctions}. */
async function serverlessFunctions({ resolveVariable } = {}) {
  const image = resolveVariable ? await resolveVariable("param:image, ''") : '';
  if (image && !IMAGE_PATTERN.test(image)) throw new Error(`the image param must be <uri>@sha256:<64 hex digits> (README, "Container image"), not ${JSON.stringify(image)}`);
  const http = Object.entries(functions).map(([name, fn]) => [
    name,
    {
      ...codeOf(name, image),
      description: fn.description,
      reservedConcurrency: `\${param:${fn.concurrencyParam}}`,
      // Sized to the largest model served (scripts/model-sizing.js): a model from the store is downloaded into /tmp.
      ephemeralStorageSize: '${param:ephemeralStorageSize}',
      environment: environmentOf(name),
      ...(fn.role ? { role: fn.role } : {}),
      events: routes
        .filter((r) => r.function === name)
        .map((r) => ({ http: { path: r.path.slice(1), method: r.method.toLowerCase(), private: r.keyed !== false, ...(r.cors === false ? {} : { cors: { headers: CORS_HEADERS } }) } })),
    },
  ]);
  const timed = Object.entries(scheduled).map(([name, fn]) => [
    name,
    {
      ...codeOf(name, image),
      description: fn.description,
      timeout: fn.timeout,
      reservedConcurrency: fn.reservedConcurrency,
      maximumRetryAttempts: fn.maximumRetryAttempts,
      maximumEventAge: fn.maximumEventAge,
      role: fn.role,
      environment: environmentOf(name),
      events: [{ schedule: { rate: [`\${param:${fn.scheduleParam}}`], enabled: `\${param:${fn.scheduleParam}Enabled, true}`, ...(fn.input ? { input: fn.input } : {}) } }],
    },
  ]);
  const invoked = Object.entries(steps).map(([name, fn]) => [
    name,
    {
      ...codeOf(name, image),
      description: fn.description,
      timeout: fn.timeout,
      memorySize: fn.memorySize,
      // It loads the model it scores with, from the model store too.
      ephemeralStorageSize: '${param:ephemeralStorageSize}',
      reservedConcurrency: `\${param:${fn.concurrencyParam}}`,
      role: fn.role,
      environment: environmentOf(name),
    },
  ]);
  return Object.fromEntries([...http, ...timed, ...invoked]);
}

module.exports = { functions, scheduled, steps, routes, CORS_HEADERS, lambdaLogicalId, serverlessFunctions };
