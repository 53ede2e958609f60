import type { ErrorDetail } from './errors';
import { pointer } from './json-pointer';
import type { Model, Scored } from './model';
import { MAX_WARNINGS, type PredictRequest } from './predict-request';

/** {...answer, model} for one record, {predictions: [...], model} for a batch, plus any warnings. */
export function predictionBody(model: Model, request: PredictRequest, scored: Scored): Record<string, unknown> {
  const warnings: ErrorDetail[] = [
    ...request.warnings,
    ...scored.notes.map((n) => ({
      path: request.single ? pointer(n.field) : pointer('instances', n.index, n.field),
      problem: n.problem,
    })),
  ];
  const modelRef = { name: model.info.name, version: model.info.version };
  const body: Record<string, unknown> = request.single ? { ...scored.answers[0], model: modelRef } : { predictions: scored.answers, model: modelRef };
  if (warnings.length > 0) body.warnings = warnings.slice(0, MAX_WARNINGS);
  return body;
}
