// The shape of ./routes.js, the one route table (plain CommonJS so that the
// Serverless CLI can require it): declared here, never restated.

export interface FunctionEntry {
  description: string;
  /** The serverless.yml param that caps its concurrent containers. */
  concurrencyParam: 'reservedConcurrency' | 'docsReservedConcurrency';
  /** A p99 duration alarm (resources/function-alarms.js): the functions that score. */
  latencyAlarm: boolean;
  /** Part of the throttles alarm. */
  throttleAlarm: boolean;
  /** The logical id of its own IAM role (resources/monitoring.js), instead of the role the functions share. */
  role?: string;
}

/** A function no route reaches, run by an EventBridge schedule (serverless.yml's param `scheduleParam`). */
export interface ScheduledEntry {
  description: string;
  scheduleParam: string;
  /** Seconds. */
  timeout: number;
  reservedConcurrency: number;
  maximumRetryAttempts: number;
  /** Seconds. */
  maximumEventAge: number;
  role: string;
  /** The event the schedule sends, instead of EventBridge's own. */
  input?: Readonly<Record<string, string>>;
}

/** A function the batch state machine invokes (resources/batch.js), reached by no route or schedule. */
export interface StepEntry {
  description: string;
  /** Seconds. */
  timeout: number;
  /** MB. */
  memorySize: number;
  /** The serverless.yml param that caps its concurrent containers. */
  concurrencyParam: string;
  role: string;
}

export type FunctionName = 'predict' | 'health' | 'models' | 'v2-metadata' | 'v2-infer' | 'monitoring' | 'batch-jobs' | 'docs';

export interface Route {
  /** The OpenAPI operationId, and the name the function's handler answers it under. */
  operation: string;
  function: FunctionName;
  method: 'GET' | 'POST';
  /** As API Gateway names the resource: "/models/{name}/predict". */
  path: string;
  /** false only for the public docs routes. */
  keyed?: boolean;
  /** false: no CORS preflight (the docs page and its files). */
  cors?: boolean;
  summary: string;
  tags: string[];
  /** The request body's schemas: a predict body of the model's kind, the Open Inference request, or a shared schema of /openapi.json by name. */
  body?: 'predict' | 'infer' | 'FeedbackRequest' | 'BatchJobRequest';
  /** A schema of components/schemas, "ready:<schema>" (503 also carries it), "accepted:<schema>" (a 202), or a special answer. */
  answer: string;
  /** Statuses the route answers itself, beside the gateway's 403/429 and a 5XX. */
  errors: string[];
}

export const functions: { readonly [F in FunctionName]: FunctionEntry };
export const scheduled: { readonly monitor: ScheduledEntry; readonly 'key-expiry': ScheduledEntry };
export const steps: { readonly batch: StepEntry };
export const routes: readonly Route[];
/** The request headers the CORS preflight allows. */
export const CORS_HEADERS: readonly string[];
export function lambdaLogicalId(name: string): string;
/** The CLI passes its variable resolver, to read the `image` param; without it the zip's handlers. */
export function serverlessFunctions(context?: { resolveVariable?: (variable: string) => Promise<unknown> }): Promise<Record<string, unknown>>;
