import { Tracer } from '@aws-lambda-powertools/tracer';
import { settings } from '../settings';
import { requestUnderWay } from './request-facts';

/**
 * The one X-Ray tracer. Powertools turns it on only inside Lambda with active
 * tracing (serverless.yml, provider.tracing); elsewhere every call below is a
 * cheap no-op. The service makes no outgoing HTTP calls, so none are patched.
 */
export const tracer = new Tracer({ serviceName: settings.serviceName(), captureHTTPsRequests: false });

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
  if (untracedWork > 0 || !requestUnderWay() || !tracer.isTracingEnabled()) return work();
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
