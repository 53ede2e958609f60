import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { logger } from '../logger';
import { metrics } from '../observability/metrics';
import { observeRequest } from '../observability/observe-request';
import type { RouteFamily } from '../observability/request-facts';
import { traceHandler } from '../observability/tracing';
import { errorResponse } from './error-response';
import { jsonFormat, requestBody, type BodyEvent, type BodyFormat, type JsonEvent } from './request-body';
import { VERSION_HEADER } from './response';

type Handler<TEvent> = (event: TEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Content-Security-Policy directives for a route that answers HTML, merged
 * over the middleware's default (`default-src 'none'`, sandboxed, Trusted
 * Types), which renders a page blank; a directive set to undefined is dropped.
 * The middleware sends the policy with text/html answers only.
 */
export type ContentSecurityPolicy = Record<string, string | undefined>;

/**
 * The middleware chain every HTTP route shares. Order matters: middy runs
 * `after`/`onError` in reverse, so errorResponse shapes the error first, the
 * CORS and security headers are added to error responses too, observeRequest
 * then sees the final answer, and the metrics are flushed and the trace
 * closed last.
 */
function chain<TEvent>(family: RouteFamily, handler: Handler<TEvent>, contentSecurityPolicy?: ContentSecurityPolicy) {
  return middy<TEvent, APIGatewayProxyResult>(handler)
    .use(httpHeaderNormalizer())
    // Never the event: it holds the API key header and the request body, even
    // if POWERTOOLS_LOGGER_LOG_EVENT is set (this option wins over it).
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(traceHandler())
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(observeRequest(family))
    // Any origin, as API Gateway's preflight (cors: true) allows: callers
    // authenticate with an API key, not cookies, so no credentials are shared.
    .use(httpCors({ origin: '*', exposeHeaders: VERSION_HEADER }))
    // No reporting endpoint is configured, and the default sends the header
    // empty. The option exists in the middleware's code (6.4.5) but not in its
    // typings, hence the cast.
    // reportTo (HTML answers only) likewise: without endpoints it sends an empty Report-To.
    .use(httpSecurityHeaders({ reportingEndpoints: false, reportTo: false, ...(contentSecurityPolicy ? { contentSecurityPolicy } : {}) } as Parameters<typeof httpSecurityHeaders>[0]))
    .use(errorResponse());
}

/** A route with no request body (GET); `contentSecurityPolicy` for one that answers an HTML page. */
export function httpRoute(family: RouteFamily, handler: Handler<APIGatewayProxyEvent>, contentSecurityPolicy?: ContentSecurityPolicy) {
  return chain(family, handler, contentSecurityPolicy);
}

/** A route whose body is JSON: the handler gets it parsed, not yet validated. */
export function jsonRoute(family: RouteFamily, handler: Handler<JsonEvent>) {
  return bodyRoute(family, jsonFormat, handler);
}

/** A route whose body is read by `format` (the predict route's: lib/protocols/rest/formats): the handler gets it read, not yet validated. */
export function bodyRoute<B>(family: RouteFamily, format: BodyFormat<B>, handler: Handler<BodyEvent<B>>) {
  return chain(family, handler).use(requestBody(format));
}
