import { errorBodySchema } from '../../http/error-response';
import { NAME_PATTERN, VERSION_PATTERN } from '../../manifest/base';
import { trafficSchema } from '../../repository/parse-traffic';
import { inferenceRequestSchema } from '../open-inference/infer';

/**
 * The schemas of /openapi.json that do not depend on a model: the answers of
 * the routes that describe models and the server, and the error body. Where
 * the service already has a schema (the error body, traffic files, the Open
 * Inference Protocol's request), it is that very object.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const strings = { type: 'array', items: { type: 'string' } };
const nullable = (schema: Record<string, unknown>) => ({ oneOf: [{ type: 'null' }, schema] });

/** A model's traffic file as GET /models/{name} and /health show it: none, the file, or why it cannot be used. */
const trafficView = {
  oneOf: [{ type: 'null' }, trafficSchema, { type: 'object', required: ['problem'], properties: { problem: { type: 'string' } }, additionalProperties: false }],
};

/** One feedback item (lib/monitoring/feedback.ts checks `actual` against the model's outcome). */
const feedbackItem = {
  type: 'object',
  required: ['inference_id', 'actual'],
  additionalProperties: false,
  properties: {
    inference_id: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}(/[0-9]{1,6})?$' },
    actual: { type: ['boolean', 'string', 'number'] },
  },
};

/** An Open Inference Protocol tensor in an answer: flat data, as the server writes it. */
const responseOutput = {
  type: 'object',
  required: ['name', 'datatype', 'shape', 'data'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
    data: { type: 'array', items: { type: ['number', 'string', 'boolean'] } },
  },
};

const metadataTensor = {
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, datatype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer', minimum: -1 } } },
};

export const sharedSchemas: Record<string, unknown> = {
  Error: errorBodySchema,
  ModelName: { type: 'string', pattern: NAME_PATTERN },
  Version: { type: 'string', pattern: VERSION_PATTERN },
  Warnings: {
    type: 'array',
    description: 'problems that did not stop the request: fields ignored, categories not seen in training',
    items: { type: 'object', required: ['path', 'problem'], additionalProperties: false, properties: { path: { type: 'string' }, problem: { type: 'string' } } },
  },
  TrafficView: trafficView,
  ModelList: {
    type: 'object',
    required: ['models', 'default'],
    additionalProperties: false,
    properties: {
      models: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'kind', 'description', 'versions', 'latest'],
          additionalProperties: false,
          properties: {
            name: ref('ModelName'),
            kind: nullable({ type: 'string' }),
            description: nullable({ type: 'string' }),
            versions: strings,
            latest: ref('Version'),
            invalid: {
              type: 'array',
              description: 'versions whose model.json cannot be used, with the reason',
              items: { type: 'object', required: ['version', 'problem'], additionalProperties: false, properties: { version: ref('Version'), problem: { type: 'string' } } },
            },
          },
        },
      },
      default: nullable(ref('ModelName')),
    },
  },
  ModelDetail: {
    type: 'object',
    description: "what to send (request_schema), what comes back and how well the model did; the kind adds its own fields (inputs, output, labels, …)",
    required: ['name', 'version', 'versions', 'traffic', 'kind', 'description', 'created', 'sha256', 'request_schema', 'metrics', 'ready'],
    properties: {
      name: ref('ModelName'),
      version: ref('Version'),
      versions: strings,
      traffic: ref('TrafficView'),
      kind: { type: 'string' },
      description: { type: 'string' },
      created: { type: 'string' },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      request_schema: { type: 'object', description: 'the JSON schema a predict request body is validated against' },
      metrics: nullable({ type: 'object' }),
      monitoring: {
        type: 'object',
        required: ['baseline', 'not_captured'],
        description: 'the baseline the monitor compares captures with (README, "Monitoring"), and the input fields never captured',
        properties: {
          baseline: nullable({ type: 'object', required: ['file', 'sha256'], properties: { file: { type: 'string' }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } }),
          not_captured: strings,
        },
      },
      ready: { type: 'boolean', description: "the model file is there and is the one the manifest's sha256 names (the golden cases run where the model loads: /v2/models/{name}/ready)" },
      reason: { type: 'string', description: 'why it is not ready' },
    },
  },
  FeedbackRequest: {
    description: 'what actually happened, for inferences named by the X-Inference-Id their answers carried (`<id>/<i>` for record i of a batch): `actual` is true/false (binary), one of the labels (classifiers) or a number (regressors)',
    oneOf: [
      feedbackItem,
      { type: 'object', required: ['feedback'], additionalProperties: false, properties: { feedback: { type: 'array', minItems: 1, items: feedbackItem } } },
    ],
  },
  FeedbackAccepted: {
    type: 'object',
    required: ['model', 'accepted'],
    additionalProperties: false,
    properties: { model: ref('ModelName'), accepted: { type: 'integer', minimum: 1, description: 'feedback items recorded' } },
  },
  MonitoringSummary: {
    type: 'object',
    required: ['model', 'latest'],
    additionalProperties: false,
    properties: {
      model: ref('ModelName'),
      latest: nullable({
        type: 'object',
        required: ['model', 'generated', 'window', 'versions'],
        description: "the latest monitor run: per version its records, the feature with the largest PSI, the drifting features, the prediction's PSI, live quality, and where the full report (JSON) and its page (HTML) are",
        properties: {
          model: ref('ModelName'),
          generated: { type: 'string' },
          window: { type: 'object', required: ['from', 'to', 'hours'], properties: { from: { type: 'string' }, to: { type: 'string' }, hours: { type: 'number' } } },
          versions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['version', 'records', 'drifting', 'quality', 'report', 'page'],
              properties: {
                version: ref('Version'),
                records: { type: 'integer', minimum: 0 },
                drifting: strings,
                quality: { type: 'object' },
                report: { type: 'string' },
                page: { type: 'string' },
              },
            },
          },
        },
      }),
      reason: { type: 'string', description: 'why there is no report yet' },
    },
  },
  BatchJobRequest: {
    type: 'object',
    required: ['input', 'output'],
    additionalProperties: false,
    description: 'a batch job (README, "Batch scoring"): both locations must lie under the stage\'s batch prefixes (batchPrefixes), else 400',
    properties: {
      input: { type: 'string', pattern: '^s3://', description: 'a CSV (header row, the columns the CSV route reads) or JSON-lines object (one predict record per line); for an image model, a prefix ending in "/": one row per picture directly under it' },
      output: { type: 'string', pattern: '^s3://.*/$', description: 'a prefix: the job writes <output><id>/scores.<format>, summary.json, ranges.json, parts/ and results/' },
      format: { enum: ['csv', 'jsonl'], description: "the input's (and the output's) format; default: the input's extension (.csv, .jsonl, .ndjson); for a prefix of pictures the output's only, csv by default" },
      version: ref('Version'),
      label: { type: 'string', description: "a label of the model's traffic file; without version or label, the version its split serves most" },
    },
  },
  BatchJob: {
    type: 'object',
    required: ['id', 'model', 'status', 'format', 'input', 'output', 'folder'],
    properties: {
      id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
      model: { type: 'object', required: ['name'], properties: { name: ref('ModelName'), version: ref('Version'), label: { type: 'string' } } },
      status: { enum: ['running', 'succeeded', 'failed', 'timed_out', 'aborted', 'pending_redrive'] },
      format: { enum: ['csv', 'jsonl'] },
      input: { type: 'string' },
      output: { type: 'string', description: 'the scored rows, in the input\'s order and format, with warnings and error per row' },
      folder: { type: 'string', description: "the job's folder under the output prefix" },
      started: { type: 'string' },
      stopped: { type: 'string' },
      records_left_today: { type: 'integer', minimum: 0, description: "the caller's batch records left today (UTC) when the job started, before its own" },
      version: ref('Version'),
      records: { type: 'integer', minimum: 0 },
      scored: { type: 'integer', minimum: 0 },
      errors: { type: 'integer', minimum: 0, description: 'rows that failed: each has its error in the output' },
      errors_by_code: { type: 'object', additionalProperties: { type: 'integer' } },
      failed_ranges: { type: 'array', description: 'ranges whose scoring run failed: their rows are not in the output', items: { type: 'object', properties: { range: { type: 'integer' }, line: { type: 'integer' }, rows: { type: 'integer' } } } },
      skipped: { type: 'object', description: 'a prefix of pictures: keys under a further "/" (folders) and names starting with "." (hidden), listed and not scored', properties: { folders: { type: 'integer' }, hidden: { type: 'integer' } } },
      summary: { type: 'string' },
      error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  Health: {
    type: 'object',
    required: ['status', 'model', 'traffic', 'cold_start'],
    additionalProperties: false,
    properties: {
      status: { const: 'ok' },
      model: {
        type: 'object',
        required: ['name', 'version', 'kind', 'sha256', 'loaded_at', 'load_ms', 'golden_ms'],
        additionalProperties: false,
        properties: {
          name: ref('ModelName'),
          version: ref('Version'),
          kind: { type: 'string' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          loaded_at: { type: 'string', description: 'ISO 8601 time the model was loaded' },
          load_ms: { type: 'number', minimum: 0 },
          golden_ms: { type: 'number', minimum: 0 },
        },
      },
      traffic: ref('TrafficView'),
      cold_start: { type: 'boolean', description: 'true on the first call a container answers' },
    },
  },
  V2ServerMetadata: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    additionalProperties: false,
    properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: strings },
  },
  V2ServerLive: { type: 'object', required: ['live'], additionalProperties: false, properties: { live: { type: 'boolean' } } },
  V2ServerReady: {
    type: 'object',
    required: ['live', 'ready'],
    additionalProperties: false,
    properties: {
      live: { const: true, description: 'the server answers (as /v2/health/live)' },
      ready: { type: 'boolean' },
      not_ready: { ...strings, description: 'models whose served versions are not ready' },
      error: { type: 'string', description: 'when not ready: which models' },
    },
  },
  V2ModelMetadata: {
    type: 'object',
    required: ['name', 'versions', 'platform', 'inputs', 'outputs', 'ready'],
    additionalProperties: false,
    properties: {
      name: ref('ModelName'),
      versions: strings,
      platform: { type: 'string' },
      inputs: { type: 'array', items: metadataTensor },
      outputs: { type: 'array', items: metadataTensor },
      ready: { type: 'boolean', description: 'whether the version loads and passes its golden cases (as /ready)' },
      reason: { type: 'string', description: 'why it is not ready' },
    },
  },
  V2ModelReady: {
    type: 'object',
    required: ['name', 'ready'],
    additionalProperties: false,
    properties: { name: ref('ModelName'), ready: { type: 'boolean' }, reason: { type: 'string' }, error: { type: 'string', description: 'when not ready: the reason, as the protocol error string' } },
  },
  V2InferenceRequest: inferenceRequestSchema,
  V2InferenceResponse: {
    type: 'object',
    required: ['model_name', 'model_version', 'outputs'],
    additionalProperties: false,
    properties: { model_name: ref('ModelName'), model_version: ref('Version'), id: { type: 'string' }, outputs: { type: 'array', items: responseOutput } },
  },
};
