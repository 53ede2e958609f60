import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ServiceError, type ErrorDetail } from '../errors';
import { logger } from '../logger';
import { jsonResponse } from './response';

export interface DescribedError {
  status: number;
  code: string;
  message: string;
  details: ErrorDetail[];
  requestId: string;
}

/** How a route family writes an error body. */
export type ErrorFormat = (error: DescribedError) => unknown;

/** Ours: {"error": {code, message, details, request_id}} (README, "Errors"). */
export const serviceErrorFormat: ErrorFormat = ({ code, message, details, requestId }) => ({
  error: { code, message, details, request_id: requestId },
});

/** Codes for statuses raised by middy middlewares (e.g. CORS) rather than by us. */
const codeForStatus: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

function describe(error: unknown): Omit<DescribedError, 'requestId'> {
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
 * The one place errors become responses, in the route family's format. Logs
 * carry the code and message, never the request body, headers or a stack
 * trace.
 */
export function errorResponse(format: ErrorFormat): MiddlewareObj<unknown, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const { status, code, message, details } = describe(request.error);
      const requestId = request.context.awsRequestId;
      if (status >= 500) {
        const cause = request.error;
        logger.error('request failed', { status, code, error: cause instanceof Error ? `${cause.name}: ${cause.message}` : 'non-error thrown' });
      } else {
        logger.warn('request rejected', { status, code, message });
      }
      request.response = jsonResponse(status, format({ status, code, message, details, requestId }));
    },
  };
}
