import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isColdStart } from '../cold-start';
import { logger } from '../logger';
import { addRequestMetrics } from './metrics';
import { factsOf, type RequestFacts } from './request-facts';
import { annotate } from './tracing';

type HttpRequest = Request<unknown, APIGatewayProxyResult>;

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Every request leaves one INFO access line and one EMF line (README,
 * "Observability"). The line carries the route template, the repository's
 * model name and version, the status and the API key's id (API Gateway's
 * identity, never the key itself); a rejection adds its error code and the
 * failing fields' paths. Nothing the client sent is copied into it.
 *
 * It sits outside the error middleware, so it sees the final status of every
 * answer, and inside Powertools' logMetrics and tracer middlewares, which
 * flush the metrics and close the trace after it.
 */
export function observeRequest(family: string): MiddlewareObj<unknown, APIGatewayProxyResult> {
  // When the request under way began; undefined between requests (Lambda sends one event at a time).
  let started: number | undefined;
  const finish = (request: HttpRequest) => {
    if (started === undefined) return;
    const durationMs = round2(performance.now() - started);
    started = undefined;
    const { served, rejection } = factsOf(request.event);
    const facts: RequestFacts = { family, ...served, ...rejection };
    const status = request.response?.statusCode ?? 500;
    addRequestMetrics(facts, status, durationMs);
    if (facts.model !== undefined && facts.version !== undefined) annotate({ model: facts.model, version: facts.version });
    // The event's shape is API Gateway's; a malformed one must not break the line.
    const event = request.event as Partial<APIGatewayProxyEvent> | undefined;
    logger.info('request', {
      route: event?.resource,
      method: event?.httpMethod,
      route_family: facts.family,
      status,
      duration_ms: durationMs,
      model: facts.model,
      version: facts.version,
      records: facts.records,
      inference_ms: facts.inferenceMs ? round2(facts.inferenceMs) : undefined,
      warnings: facts.warnings ? facts.warnings : undefined,
      request_id: event?.requestContext?.requestId,
      // Ours, over Powertools' context key of the same name: the same flag as /health's and the trace's.
      cold_start: isColdStart(),
      api_key_id: event?.requestContext?.identity?.apiKeyId ?? undefined,
      shadow: facts.shadow && {
        version: facts.shadow.version,
        outcome: facts.shadow.outcome,
        max_delta: facts.shadow.maxDelta,
        flips: facts.shadow.flips,
        reason: facts.shadow.reason,
        ms: facts.shadow.ms,
      },
      code: facts.code,
      error_paths: facts.errorPaths?.length ? facts.errorPaths : undefined,
    });
    // With POWERTOOLS_LOGGER_SAMPLE_RATE, a share of requests log at DEBUG: the batch's drift figures too.
    logger.debug('request signals', { signals: facts.signals ?? [] });
  };
  return {
    before: () => {
      started = performance.now();
    },
    after: finish,
    onError: finish,
  };
}
