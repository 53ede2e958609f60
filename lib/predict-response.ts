import type { ErrorDetail } from './errors';
import { pointer } from './json-pointer';
import type { Manifest } from './manifest';
import type { BatchResult } from './model';
import { MAX_WARNINGS, type PredictRequest } from './predict-request';

/**
 * Probabilities come out of the graph as float32, which holds about seven
 * significant digits; printing the float64 expansion (0.6700000166893005)
 * would claim precision the model does not have.
 */
function roundProbability(p: number): number {
  return Number(p.toPrecision(7));
}

function shortValue(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

/** Shapes a prediction the way the manifest names it, e.g. {churn_probability, churn}. */
export function predictionBody(manifest: Manifest, request: PredictRequest, result: BatchResult): Record<string, unknown> {
  const { probability, label } = manifest.output;
  const items = result.predictions.map((p) => ({ [probability]: roundProbability(p.probability), [label]: p.positive }));
  const warnings: ErrorDetail[] = [
    ...request.warnings,
    ...result.unknownCategories.map((u) => ({
      path: request.single ? pointer(u.feature) : pointer('instances', u.index, u.feature),
      problem: `unknown value "${shortValue(u.value)}": not seen in training, so no ${u.feature} column is set`,
    })),
  ];
  const model = { name: manifest.name, version: manifest.version };
  const body: Record<string, unknown> = request.single ? { ...items[0], model } : { predictions: items, model };
  if (warnings.length > 0) body.warnings = warnings.slice(0, MAX_WARNINGS);
  return body;
}
