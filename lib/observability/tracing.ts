import type { MiddlewareObj } from '@middy/core';
import { getXrayTraceDataFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { isColdStart } from '../cold-start';
import { settings } from '../settings';
import { daemonAddress, epochSeconds, markOutcome, openSubsegment, sendSubsegment, type DaemonAddress, type Subsegment } from './xray-daemon';

/**
 * X-Ray subsegments written by this module and sent to Lambda's X-Ray daemon
 * (./xray-daemon.ts), not through Powertools' tracer and the X-Ray SDK: the
 * SDK keeps every promise of every request under cls-hooked's async hooks
 * once loaded, which doubled the warm handler's p99 in `npm run bench`
 * (BENCHMARKS.md, "What observability costs"), and AWS put the X-Ray SDKs in
 * maintenance mode on 2026-02-25. The trace is passed by hand instead: Lambda
 * sends a container one event at a time.
 */

/** The sampled request under way: its trace, and its subsegments still open, the handler's first. */
interface RequestTrace {
  traceId: string;
  parentId: string;
  open: Subsegment[];
}

let trace: RequestTrace | undefined;

/** Closes the request's trace with its HTTP outcome and sends it. */
function finish(statusCode: number, to: DaemonAddress): void {
  const done = trace;
  trace = undefined;
  if (done === undefined) return;
  const handler = done.open[0]!;
  handler.end_time = epochSeconds();
  markOutcome(handler, statusCode);
  sendSubsegment(handler, done.traceId, done.parentId, to);
}

/**
 * The handler subsegment (`## <handler>`, annotated ColdStart and Service,
 * as Powertools' tracer names and annotates it) of each request X-Ray
 * samples, when this function traces (XRAY_TRACING=true in Lambda,
 * serverless.yml's `tracing` param). X-Ray receives nothing of the others
 * (most: Lambda samples one request a second and 5% beyond), and nothing is
 * built for them. The trace header comes from Lambda, read as Powertools'
 * logger reads it.
 */
export function traceHandler(): MiddlewareObj[] {
  if (!settings.tracing()) return [];
  const to = daemonAddress(settings.xrayDaemonAddress());
  const handlerName = `## ${settings.lambdaHandler()}`;
  return [
    {
      before: () => {
        trace = undefined;
        const header = getXrayTraceDataFromEnv();
        if (header?.Sampled !== '1' || !header.Root || !header.Parent) return;
        const handler = openSubsegment(handlerName);
        handler.annotations = { ColdStart: isColdStart(), Service: settings.serviceName() };
        trace = { traceId: header.Root, parentId: header.Parent, open: [handler] };
      },
      after: (request) => finish(request.response?.statusCode ?? 500, to),
      onError: (request) => finish(request.response?.statusCode ?? 500, to),
    },
  ];
}

/** Annotations on a sampled request's handler subsegment (model and version). */
export function annotate(annotations: Record<string, string>): void {
  const handler = trace?.open[0];
  if (handler !== undefined) handler.annotations = { ...handler.annotations, ...annotations };
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
  const current = trace;
  // No trace outside a request: the trace is opened and closed by traceHandler.
  if (current === undefined || untracedWork > 0) return work();
  const parent = current.open.at(-1)!;
  const subsegment = openSubsegment(name);
  current.open.push(subsegment);
  const close = () => {
    subsegment.end_time = epochSeconds();
    (parent.subsegments ??= []).push(subsegment);
    current.open.splice(current.open.lastIndexOf(subsegment), 1);
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
