/**
 * Every error our code throws on purpose carries an HTTP status and a stable
 * machine-readable code; lib/http/error-response.ts turns them into the one
 * JSON error body of the API. Anything else is an internal error (500).
 */

export interface ErrorDetail {
  /**
   * JSON pointer into the request body, e.g. "/instances/3/tenure"; for a
   * table (CSV, pandas, MLflow) a row pointer, "/rows/3/tenure" for the third
   * data row (README, "Request formats").
   */
  path: string;
  problem: string;
}

export abstract class ServiceError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidJson extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'invalid_json';
}

export class InvalidCsv extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'invalid_csv';
}

/** A multipart/form-data body that cannot be read (no boundary, cut short, a part too large). */
export class InvalidForm extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'invalid_form';
}

/** A file that is not an image the model can read (not an image, truncated, too many pixels). */
export class InvalidImage extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'invalid_image';
}

/** The function was invoked with something that is not an API Gateway proxy event (serverless invoke local --data). */
export class NotAnApiGatewayEvent extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'invalid_event';
}

export class ValidationFailed extends ServiceError {
  readonly statusCode = 400;
  readonly code = 'validation_failed';
}

export class ModelNotFound extends ServiceError {
  readonly statusCode = 404;
  readonly code = 'model_not_found';
}

/** A path under a route that names nothing (e.g. an unknown /docs asset). */
export class NotFound extends ServiceError {
  readonly statusCode = 404;
  readonly code = 'not_found';
}

/** No answer format the client accepts (Accept) can carry this answer. */
export class NotAcceptable extends ServiceError {
  readonly statusCode = 406;
  readonly code = 'not_acceptable';
}

export class PayloadTooLarge extends ServiceError {
  readonly statusCode = 413;
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaType extends ServiceError {
  readonly statusCode = 415;
  readonly code = 'unsupported_media_type';
}

/** The model ran but produced NaN or an infinity: there is no answer to give. */
export class NonFiniteOutput extends ServiceError {
  readonly statusCode = 422;
  readonly code = 'non_finite_output';
}

/**
 * onnxruntime refused to run the graph on this request's tensors (a
 * dimension the graph cannot take though the manifest leaves it dynamic):
 * the input's, not the service's, failure.
 */
export class InferenceFailed extends ServiceError {
  readonly statusCode = 422;
  readonly code = 'inference_failed';
}

/** A batch job would take the caller past its usage plan's daily record limit (README, "Batch scoring"). */
export class RecordLimitExceeded extends ServiceError {
  readonly statusCode = 429;
  readonly code = 'record_limit_exceeded';
}

/** Batch jobs need the deployed state machine (BATCH_STATE_MACHINE_ARN), which `npm start` has not. */
export class BatchJobsUnavailable extends ServiceError {
  readonly statusCode = 503;
  readonly code = 'batch_jobs_unavailable';
}

export class ModelUnavailable extends ServiceError {
  readonly statusCode = 503;
  readonly code = 'model_unavailable';
}

/** Raised while reading or loading a model; the message is safe to show (no paths). */
export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/**
 * A model's files could not be read from the model store for a reason that
 * may pass (S3 unreachable, throttled, a timeout): unlike a ModelLoadError it
 * is retried, with backoff, by later requests. The message is safe to show.
 */
export class ModelFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFetchError';
  }
}

/**
 * Every code an error body can carry, with a real example of its message:
 * ours (the classes above, and internal_error for anything else), API
 * Gateway's own answers (serverless.yml's GatewayResponses) and AWS WAF's
 * (resources/waf.js, its custom response bodies). /openapi.json
 * publishes them as the enum of the Error schema; tests/errors.test.ts holds
 * this list to the classes and the template.
 */
export const ERROR_CODES = {
  invalid_json: 'request body is not valid JSON',
  invalid_csv: 'the CSV body has a row with another number of values than the header has columns: /rows/2',
  invalid_form: 'multipart/form-data needs a boundary parameter in its Content-Type',
  invalid_image: 'the image cannot be decoded: the JPEG data is cut short or corrupt',
  invalid_event: 'this function takes an API Gateway proxy event, not a bare request body',
  validation_failed: 'tenure: must be >= 0',
  model_not_found: 'no model named "churnn"; the models are churn, intent',
  not_found: 'no such route',
  not_acceptable: 'the pairwise model answers tensors, which have no text/csv form; ask for application/json',
  payload_too_large: '"instances" holds 1001 records; at most 1000 are accepted per request (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")',
  unsupported_media_type: 'Content-Type must be application/json, text/csv, multipart/form-data, image/jpeg, image/png, image/webp or image/gif',
  non_finite_output: 'the model answered NaN for /instances/0',
  inference_failed: 'onnxruntime could not run the model on inputs "pixel_values" [1, 3, 5, 5]: …',
  record_limit_exceeded: 'your plan may score 100000 batch records a day (UTC); 99000 are used today and this job holds 7043',
  batch_jobs_unavailable: 'batch jobs need a deployed stage: this one has no batch state machine (BATCH_STATE_MACHINE_ARN)',
  model_unavailable: 'model churn 1.1.0 could not be loaded: sha256 mismatch: model.onnx is …, the manifest expects …',
  internal_error: 'internal error',
  invalid_api_key: 'a valid x-api-key header is required',
  access_denied: 'this API does not accept requests from your address',
  request_blocked: 'the request was blocked by the web application firewall',
  rate_limited: 'too many requests from your address; retry after 60 seconds',
  throttled: 'rate limit of your usage plan exceeded; retry later',
  quota_exceeded: 'quota of your usage plan exhausted for this period',
  bad_request: 'Invalid request input',
  gateway_error: 'the gateway could not complete the request',
  function_unavailable: 'the function behind this route could not answer: a 500 means it is at its concurrency limit, retry after Retry-After seconds; a 502 means it failed',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;
