import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ServiceError, type ErrorDetail, ERROR_CODES } from '../errors';
import { logger } from '../logger';
import { recordRejection } from '../observability/request-facts';
import { shorten } from '../shorten';
import { jsonResponse } from './response';

/**
 * The error body as a JSON schema: published in /openapi.json, and what the
 * tests hold every error answer to.
 */
export const errorBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['error', 'code', 'details', 'request_id'],
  properties: {
    error: { type: 'string', minLength: 1, maxLength: 500, description: 'what went wrong, for a person' },
    code: { enum: Object.keys(ERROR_CODES), description: 'a documented machine-readable code (README, "Errors")' },
    details: {
      type: 'array',
      maxItems: 20,
      description: 'each failing field: a JSON pointer into the request body and its problem',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'problem'],
        properties: { path: { type: 'string', maxLength: 1000 }, problem: { type: 'string', maxLength: 500 } },
      },
    },
    request_id: { type: 'string', minLength: 1, description: 'the Lambda request id (API Gateway\'s for its own answers), to find the call in the logs' },
  },
};

interface DescribedError {
  status: number;
  code: string;
  message: string;
  details: ErrorDetail[];
}

/**
 * The one error body of every route, ours and the Open Inference Protocol's
 * (README, "Errors"): `error` is the message as a string, as that protocol's
 * inference_error_response requires; the gateway's own answers have the
 * same shape (serverless.yml, GatewayResponses).
 */
export function errorBody({ code, message, details }: DescribedError, requestId: string) {
  return { error: message, code, details, request_id: requestId };
}

/** Codes for statuses raised by middy middlewares (e.g. CORS) rather than by us. */
const codeForStatus: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

function describe(error: unknown): DescribedError {
  if (error instanceof ServiceError) {
    return { status: error.statusCode, code: error.code, message: error.message, details: error.details };
  }
  // middy's own HttpErrors carry statusCode and `expose` for client errors.
  const candidate = error as { statusCode?: unknown; expose?: unknown; message?: unknown };
  if (typeof candidate?.statusCode === 'number' && candidate.statusCode < 500 && candidate.expose === true) {
    const status = candidate.statusCode;
    return { status, code: codeForStatus[status] ?? 'bad_request', message: String(candidate.message), details: [] };
  }
  return { status: 500, code: 'internal_error', message: 'internal error', details: [] };
}

/**
 * The one place errors become responses. An internal error is logged with
 * its name and message, never the request body, headers or a stack trace.
 */
export function errorResponse(): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const described = describe(request.error);
      const { status, code, details } = described;
      // The request's access line (lib/observability) names the code and the
      // failing fields' paths; a client's values never reach a log.
      recordRejection(request.event, { code, errorPaths: details.map((d) => shorten(d.path)) });
      if (status >= 500) {
        const cause = request.error;
        logger.error('request failed', { status, code, cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : 'non-error thrown' });
      }
      request.response = jsonResponse(status, errorBody(described, request.context.awsRequestId));
    },
  };
}
