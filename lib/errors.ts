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
