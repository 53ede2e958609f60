import type { MiddlewareObj } from '@middy/core';
import { isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { settings } from '../settings';
import { requestUnderWay } from './request-facts';

/**
 * Whether this function traces: in Lambda, with POWERTOOLS_TRACE_ENABLED=true
 * from serverless.yml's `tracing` param. The service makes no outgoing HTTP
 * calls, so none are patched.
 */
const tracing = process.env.POWERTOOLS_TRACE_ENABLED === 'true' && process.env.AWS_EXECUTION_ENV !== undefined;

/**
 * The one X-Ray tracer, made on the first request X-Ray samples, not during
 * init: loading the X-Ray SDK added ~9 ms to every cold start in `npm run
 * bench` (BENCHMARKS.md, "Cold start"), and a container whose first requests
 * are not sampled (most, beyond Lambda's one a second) has no use for it yet.
 * Loading it also enables async_hooks (cls-hooked), which slows every later
 * request of the process (BENCHMARKS.md, "What observability costs").
 */
let tracer: Tracer | undefined;
let captureHandler: MiddlewareObj | undefined;

/** Whether X-Ray samples the request under way: read once per request, from Lambda's trace header. */
let sampled = false;
/** Requests this container has begun: the tracer's ColdStart annotation is true for the first only. */
let requests = 0;

function loadTracer(): { tracer: Tracer; capture: MiddlewareObj } {
  // Requires, not imports, so the bundle evaluates the SDK only here.
  const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  const { captureLambdaHandler } = require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  const made = new TracerClass({ serviceName: settings.serviceName(), captureHTTPsRequests: false });
  // The answer is never attached to the trace: it can hold what clients sent.
  return { tracer: made, capture: captureLambdaHandler(made, { captureResponse: false }) };
}

/**
 * Powertools' handler middleware (the handler subsegment, ColdStart and
 * Service annotations), when tracing, for sampled requests only: X-Ray
 * receives nothing of the others (most: Lambda samples one request a second
 * and 5% beyond), and building their subsegments anyway cost ~30 µs per
 * request in `npm run bench`.
 */
export function traceHandler(): MiddlewareObj[] {
  if (!tracing) return [];
  return [
    {
      before: async (request) => {
        requests++;
        sampled = isRequestXRaySampled();
        if (!sampled) return;
        const late = captureHandler === undefined && requests > 1;
        if (captureHandler === undefined) ({ tracer, capture: captureHandler } = loadTracer());
        await captureHandler.before?.(request);
        // Powertools annotates ColdStart on its tracer's first request: made after the container's first, this one is not.
        if (late) tracer?.putAnnotation('ColdStart', false);
      },
      after: (request) => (sampled ? captureHandler?.after?.(request) : undefined),
      onError: (request) => (sampled ? captureHandler?.onError?.(request) : undefined),
    },
  ];
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
  const current = tracer;
  if (!current || !sampled || untracedWork > 0 || !requestUnderWay()) return work();
  const parent = current.getSegment();
  if (parent === undefined) return work();
  const subsegment = parent.addNewSubsegment(name);
  current.setSegment(subsegment);
  const close = () => {
    subsegment.close();
    current.setSegment(parent);
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
