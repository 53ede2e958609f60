import type { CaptureSource } from '../capture/observation';
import { requestSlot } from './request-slot';

/**
 * One figure about a batch's answers, published as a metric so a dashboard
 * shows when what the model predicts drifts (README, "Metrics"). Each kind
 * computes its own; the name is the kind's or a label from the manifest,
 * never client text.
 */
export interface Signal {
  metric: string;
  unit: 'Count' | 'Percent' | 'None';
  value: number;
}

/** What a shadow version did with the request (lib/rollout/shadow.ts). */
export interface ShadowFacts {
  version: string;
  outcome: 'compared' | 'error' | 'skipped';
  maxDelta?: number;
  flips?: number;
  reason?: string;
  ms: number;
}

/**
 * What serving a request established, as the data plane returns it
 * (lib/dataplane): the repository's model name and version (never the
 * client's text, so metric dimensions stay bounded), the records scored, the
 * time inside onnxruntime, the batch's drift signals and the shadow's outcome.
 * The shadow's own inference is in `shadow`, never in `inferenceMs`.
 */
export interface ServedFacts {
  model?: string;
  version?: string;
  records?: number;
  /** Time inside onnxruntime's run, summed over the served version's runs. */
  inferenceMs?: number;
  signals?: Signal[];
  warnings?: number;
  shadow?: ShadowFacts;
  /** The served version's records, for capture (lib/monitoring/capture.ts); never the shadow's. */
  capture?: CaptureSource;
}

/** Why a request was refused or failed, as the one error middleware (lib/http/error-response.ts) answered it. */
export interface Rejection {
  code: string;
  /** The failing fields' JSON pointers. */
  errorPaths: string[];
}

/** One request's access line and metrics: which function, what serving it established, and why it was refused if it was. */
export interface RequestFacts extends ServedFacts, Partial<Rejection> {
  family: string;
}

/**
 * Facts travel to the edge with what carries them: an answer's with its
 * event (recorded by the dispatcher, lib/http/dispatch.ts), a failure's with
 * the error the data plane threw, once it knew the model. On those objects
 * themselves (./request-slot.ts: not in WeakMaps, which kept every request's
 * facts alive until a full GC), so nothing outlives its request and no module
 * keeps a per-request slot.
 */
const servedByEvent = requestSlot<ServedFacts>('served facts');
const rejectedByEvent = requestSlot<Rejection>('rejection');
const servedByError = requestSlot<ServedFacts>('served facts of an error');

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

export function recordServed(event: unknown, facts: ServedFacts | undefined): void {
  if (isObject(event) && facts !== undefined) servedByEvent.set(event, facts);
}

export function recordRejection(event: unknown, rejection: Rejection): void {
  if (isObject(event)) rejectedByEvent.set(event, rejection);
}

/** What the request's access line and metrics are made of (lib/observability/observe-request.ts). */
export function factsOf(event: unknown): { served: ServedFacts | undefined; rejection: Rejection | undefined } {
  return isObject(event) ? { served: servedByEvent.get(event), rejection: rejectedByEvent.get(event) } : { served: undefined, rejection: undefined };
}

/** Returns `error` with the facts known when it was thrown (a 503 still names its model and version). */
export function withFacts(error: unknown, facts: ServedFacts): unknown {
  if (isObject(error) && !servedByError.has(error)) servedByError.set(error, facts);
  return error;
}

export function factsOfError(error: unknown): ServedFacts | undefined {
  return isObject(error) ? servedByError.get(error) : undefined;
}
