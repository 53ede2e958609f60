import { ModelLoadError, ModelUnavailable } from './errors';
import { loadModel, type Model } from './model';
import { latestModelDir } from './model-repository';

type ModelState = { ready: true; model: Model } | { ready: false; reason: string };

async function loadDefaultModel(): Promise<ModelState> {
  try {
    const name = process.env.DEFAULT_MODEL;
    if (!name) throw new ModelLoadError('DEFAULT_MODEL is not set');
    return { ready: true, model: await loadModel(latestModelDir(name)) };
  } catch (error) {
    // Only our own reasons are shown to clients; anything else is unexpected.
    const reason = error instanceof ModelLoadError ? error.message : 'the model could not be loaded';
    return { ready: false, reason };
  }
}

/**
 * Started when this module is first imported, i.e. during Lambda's init phase
 * (onnxruntime-node creates the session synchronously on the next tick, so it
 * is ready before the first event arrives). Every warm invocation reuses it.
 * A failed load stays failed for the container's life: the files in a
 * deployed zip do not change, so retrying would only fail again, slower.
 */
const state: Promise<ModelState> = loadDefaultModel();

/** The default model, or ModelUnavailable (503) with the reason it failed. */
export async function defaultModel(): Promise<Model> {
  const current = await state;
  if (!current.ready) throw new ModelUnavailable(`model unavailable: ${current.reason}`);
  return current.model;
}
