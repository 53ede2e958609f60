import type { MiddlewareObj } from '@middy/core';
import { isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { settings } from '../settings';
import { requestUnderWay } from './request-facts';

/**
 * The one X-Ray tracer, or none. Loaded only where tracing is on (in Lambda,
 * with POWERTOOLS_TRACE_ENABLED=true from serverless.yml's `tracing` param):
 * the X-Ray SDK enables async_hooks (cls-hooked) as it loads, which slowed
 * every request of the process by ~20 µs in `npm run bench` even with tracing
 * off. The service makes no outgoing HTTP calls, so none are patched.
 */
function loadTracer(): Tracer | undefined {
  if (process.env.POWERTOOLS_TRACE_ENABLED !== 'true' || process.env.AWS_EXECUTION_ENV === undefined) return undefined;
  // A require, not an import, so the bundle evaluates the SDK only here.
  const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  return new TracerClass({ serviceName: settings.serviceName(), captureHTTPsRequests: false });
}

export const tracer: Tracer | undefined = loadTracer();

/** Whether X-Ray samples the request under way: read once per request, from Lambda's trace header. */
let sampled = false;

/**
 * Powertools' handler middleware (the handler subsegment, ColdStart and
 * Service annotations), when tracing, for sampled requests only: X-Ray
 * receives nothing of the others (most: Lambda samples one request a second
 * and 5% beyond), and building their subsegments anyway cost ~30 µs per
 * request in `npm run bench`. Without `before`, its after/onError find no subsegment to
 * close and do nothing.
 */
export function traceHandler(): MiddlewareObj[] {
  if (!tracer) return [];
  const { captureLambdaHandler } = require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  // The answer is never attached to the trace: it can hold what clients sent.
  const capture = captureLambdaHandler(tracer, { captureResponse: false });
  const before: MiddlewareObj['before'] = (request) => {
    sampled = isRequestXRaySampled();
    return sampled ? capture.before?.(request) : undefined;
  };
  return [{ ...capture, before }];
}

/** Annotations on a sampled request's handler subsegment (model and version). */
export function annotate(annotations: Record<string, string>): void {
  if (!tracer || !sampled) return;
  for (const [key, value] of Object.entries(annotations)) tracer.putAnnotation(key, value);
}

/** Nesting depth of work that must not appear as the request's own (see untraced). */
let untracedWork = 0;

/**
 * Runs `work` with no subsegments of its own: a model's golden self-test,
 * which belongs to its load. A model preloaded during init can still be
 * finishing its self-test when the first request awaits it, and those runs
 * are not that request's encoding and inference. The request awaits the
 * load meanwhile, so nothing of its own is hidden.
 */
export async function untraced<T>(work: () => Promise<T>): Promise<T> {
  untracedWork++;
  try {
    return await work();
  } finally {
    untracedWork--;
  }
}

/**
 * Runs `work` in a subsegment of the request's trace ("model load", "encode",
 * "onnxruntime run"), closed when it returns or settles. Outside a request
 * (a model preloaded during Lambda's init) there is no segment to attach to:
 * Lambda's own Initialization subsegment covers that time.
 */
export function traced<T>(name: string, work: () => T): T {
  // An unsampled request sends nothing: creating its subsegments would only cost time.
  if (!tracer || !sampled || untracedWork > 0 || !requestUnderWay()) return work();
  const parent = tracer.getSegment();
  if (parent === undefined) return work();
  const subsegment = parent.addNewSubsegment(name);
  tracer.setSegment(subsegment);
  const close = () => {
    subsegment.close();
    tracer.setSegment(parent);
  };
  let result: T;
  try {
    result = work();
  } catch (error) {
    close();
    throw error;
  }
  if (result instanceof Promise) return result.finally(close) as T;
  close();
  return result;
}
