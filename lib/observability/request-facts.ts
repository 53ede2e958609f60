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

/** The functions' kinds of work, one dimension value each (serverless.yml's function names). */
export type RouteFamily = 'predict' | 'health' | 'models' | 'v2-metadata' | 'v2-infer' | 'docs';

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
 * What the code learns about the request under way, for its access line and
 * metrics (./observe-request.ts). Names come from the repository (the
 * manifest), never from the client's text, so metric dimensions stay bounded.
 */
export interface RequestFacts {
  readonly family: RouteFamily;
  readonly started: number;
  model?: string;
  version?: string;
  records?: number;
  /** Time inside onnxruntime's run, summed over the request's runs. */
  inferenceMs: number;
  signals: Signal[];
  warnings: number;
  /** A split's shadow version, when one scored the request too. */
  shadow?: ShadowFacts;
  /** A rejected or failed request: its error code and the failing fields' JSON pointers. */
  code?: string;
  errorPaths?: string[];
}

/**
 * The request under way. One slot, as Powertools keeps its logger keys and
 * metrics: Lambda sends a container one event at a time, and so does
 * serverless-offline (one worker per concurrent request).
 */
let current: RequestFacts | undefined;

export function beginRequest(family: RouteFamily): RequestFacts {
  current = { family, started: performance.now(), inferenceMs: 0, signals: [], warnings: 0 };
  return current;
}

/** The finished request's facts; none are taken after this. */
export function endRequest(): RequestFacts | undefined {
  const facts = current;
  current = undefined;
  return facts;
}

/** Whether a handler is running (model loading during Lambda's init is outside any request). */
export function requestUnderWay(): boolean {
  return current !== undefined;
}

/**
 * The repository's name and version of the model the request resolved to;
 * the name alone when no version could be chosen (a traffic file that cannot
 * be used, an unknown label).
 */
export function noteModel(name: string, version?: string): void {
  if (!current) return;
  // The name alone does not forget a version already chosen for the same model.
  if (version !== undefined || current.model !== name) current.version = version;
  current.model = name;
}

export function noteInference(ms: number): void {
  if (current) current.inferenceMs += ms;
}

export function noteScored(records: number, signals: Signal[], warnings: number): void {
  if (!current) return;
  current.records = records;
  current.signals = signals;
  current.warnings = warnings;
}

/** Set by the one error middleware (lib/http/error-response.ts). */
export function noteError(code: string, errorPaths: string[]): void {
  if (!current) return;
  current.code = code;
  current.errorPaths = errorPaths;
}

export function noteShadow(shadow: ShadowFacts): void {
  if (current) current.shadow = shadow;
}
