import { ModelUnavailable } from './errors';
import type { Model } from './model';
import { getModel, modelState } from './model-registry';

/** DEFAULT_MODEL (serverless.yml) names the model behind POST /predict. */
export function defaultModelName(): string {
  const name = process.env.DEFAULT_MODEL;
  if (!name) throw new ModelUnavailable('model unavailable: DEFAULT_MODEL is not set');
  return name;
}

/**
 * Started when this module is first imported, i.e. during Lambda's init phase:
 * the manifest and model file are read and hashed synchronously there, and
 * onnxruntime then builds the session on its own thread (about 20 ms here),
 * so an event that arrives sooner waits for it. Other models load on first use.
 */
try {
  void modelState(defaultModelName()).catch(() => undefined);
} catch {
  // No DEFAULT_MODEL or no such model: every call will say so (404/503).
}

export function defaultModel(): Promise<Model> {
  return getModel(defaultModelName());
}
