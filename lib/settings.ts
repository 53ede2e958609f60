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

export const settings = {
  /**
   * Where model folders live. In the TypeScript sources this file sits in
   * lib/, in the Lambda bundle the code is inlined into handlers/<name>.js;
   * both are one level below the root that holds models/. (LAMBDA_TASK_ROOT
   * is not used: `serverless invoke local` sets it to /var/task.)
   */
  modelsDir: (): string => path.resolve(process.env.MODELS_DIR ?? path.resolve(__dirname, '..', 'models')),
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
  /**
   * serverless-offline sets IS_OFFLINE in its workers; its events leave the
   * stage out of requestContext.path, where API Gateway puts it in
   * (lib/protocols/openapi/base-path.ts).
   */
  offline: (): boolean => process.env.IS_OFFLINE === 'true',
  /** Reported by GET /v2. */
  serviceVersion: (): string => process.env.SERVICE_VERSION ?? '0.1.0',
  serviceName: (): string => process.env.POWERTOOLS_SERVICE_NAME ?? 'ml-inference',
};
