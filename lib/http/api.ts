import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { requestBegins } from '../cold-start';
import { logger } from '../logger';
import { metrics } from '../observability/metrics';
import { observeRequest } from '../observability/observe-request';
import { traceHandler } from '../observability/tracing';
import { errorResponse } from './error-response';
import { dispatcher, type Operations } from './dispatch';
import { requestBody, type BodyEvent, type BodyFormat } from './request-body';
import type { FunctionName } from './routes';
import { VERSION_HEADER } from './response';
import { captureInferences, INFERENCE_ID_HEADER } from '../observability/capture-requests';

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
function chain<TEvent>(fn: FunctionName, handler: Handler<TEvent>, contentSecurityPolicy?: ContentSecurityPolicy) {
  return middy<TEvent, APIGatewayProxyResult>(handler)
    // First: every later step asks whether this request is the container's first.
    .use({ before: requestBegins })
    .use(httpHeaderNormalizer())
    // Never the event: it holds the API key header and the request body, even
    // if POWERTOOLS_LOGGER_LOG_EVENT is set (this option wins over it).
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(traceHandler())
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(observeRequest(fn))
    // Any origin, as API Gateway's preflight (cors: true) allows: callers
    // authenticate with an API key, not cookies, so no credentials are shared.
    .use(httpCors({ origin: '*', exposeHeaders: [VERSION_HEADER, INFERENCE_ID_HEADER].join(', ') }))
    // No reporting endpoint is configured, and the default sends the header
    // empty. The option exists in the middleware's code (6.4.5) but not in its
    // typings, hence the cast.
    // reportTo (HTML answers only) likewise: without endpoints it sends an empty Report-To.
    .use(httpSecurityHeaders({ reportingEndpoints: false, reportTo: false, ...(contentSecurityPolicy ? { contentSecurityPolicy } : {}) } as Parameters<typeof httpSecurityHeaders>[0]))
    .use(errorResponse());
}

/**
 * A function of the route table (./routes.js) whose routes take no body
 * (GET): one operation per route (./dispatch.ts). `contentSecurityPolicy`
 * for one that answers an HTML page.
 */
export function httpFunction(fn: FunctionName, operations: Operations<APIGatewayProxyEvent>, contentSecurityPolicy?: ContentSecurityPolicy) {
  return chain(fn, dispatcher(fn, operations), contentSecurityPolicy);
}

/**
 * A function whose routes' bodies are read by `format` (JSON, or predict's
 * formats): the operations get the body read, not yet validated. `capture`:
 * its answers carry X-Inference-Id and a share of them is captured
 * (lib/monitoring/capture.ts).
 */
export function bodyFunction<B>(fn: FunctionName, format: BodyFormat<B>, operations: Operations<BodyEvent<B>>, { capture = false } = {}) {
  const handler = chain(fn, dispatcher(fn, operations));
  return (capture ? handler.use(captureInferences(fn)) : handler).use(requestBody(format));
}
