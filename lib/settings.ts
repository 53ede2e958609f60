import path from 'node:path';

/**
 * Every setting the service reads from its environment, in one place, with
 * its default. Read on each call (not captured at import) so tests and tools
 * can change them; reading process.env is cheap.
 */

/** A positive integer setting, or the fallback when unset or malformed. */
function positiveInteger(name: string, fallback: number): number {
  const configured = Number(process.env[name]);
  return Number.isInteger(configured) && configured > 0 ? configured : fallback;
}

/**
 * The models folder for a MODELS_DIR value and working directory, resolved
 * once per pair: the repository asks on every request, and resolving the
 * path twice each time showed in a warm request's profile.
 */
let resolvedModelsDir: { configured: string | undefined; cwd: string; dir: string } | undefined;
function modelsDirFrom(configured: string | undefined): string {
  const cwd = process.cwd();
  if (resolvedModelsDir === undefined || resolvedModelsDir.configured !== configured || resolvedModelsDir.cwd !== cwd) {
    resolvedModelsDir = { configured, cwd, dir: path.resolve(configured ?? path.resolve(__dirname, '..', 'models')) };
  }
  return resolvedModelsDir.dir;
}

export const settings = {
  /**
   * Where model folders live. In the TypeScript sources this file sits in
   * lib/, in the Lambda bundle the code is inlined into handlers/<name>.js;
   * both are one level below the root that holds models/. (LAMBDA_TASK_ROOT
   * is not used: `serverless invoke local` sets it to /var/task.)
   */
  modelsDir: (): string => modelsDirFrom(process.env.MODELS_DIR),
  /** The model behind POST /predict and GET /health (serverless.yml). */
  defaultModel: (): string | undefined => process.env.DEFAULT_MODEL || undefined,
  /** Most records (or rows of a tensor) one request may carry. */
  maxBatch: (): number => positiveInteger('MAX_BATCH', 1000),
  /** Largest request body accepted, in bytes, checked before parsing. */
  maxBodyBytes: (): number => positiveInteger('MAX_BODY_BYTES', 1_048_576),
  /** Loaded model versions kept per container; the least recently used goes beyond. */
  maxSessions: (): number => positiveInteger('MAX_SESSIONS', 8),
  /** Longest a shadow version may take on a request before it is skipped (README, "Releasing a new version"). */
  shadowBudgetMs: (): number => positiveInteger('SHADOW_BUDGET_MS', 100),
  /** Reported by GET /v2. */
  serviceVersion: (): string => process.env.SERVICE_VERSION ?? '0.1.0',
  serviceName: (): string => process.env.POWERTOOLS_SERVICE_NAME ?? 'ml-inference',
  /** X-Ray tracing: XRAY_TRACING=true (serverless.yml's `tracing` param), and only in Lambda, where a daemon listens. */
  tracing: (): boolean => process.env.XRAY_TRACING === 'true' && process.env.AWS_EXECUTION_ENV !== undefined,
  /** Where Lambda's X-Ray daemon listens (lib/observability/xray-daemon.ts reads it). */
  xrayDaemonAddress: (): string | undefined => process.env.AWS_XRAY_DAEMON_ADDRESS,
  /** The function's handler as Lambda names it (`handlers/predict.handler`), for the trace's handler subsegment. */
  lambdaHandler: (): string => process.env._HANDLER ?? 'handler',
  /** Whether Lambda started this container ahead of requests (provisioned concurrency): then no request is a cold start. */
  provisionedConcurrency: (): boolean => process.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency',
};
