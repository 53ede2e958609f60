import type { Model } from '../../model';
import { noteScored } from '../../observability/request-facts';

/**
 * The body of POST /predict and /models/{name}[/versions/{v}]/predict: the
 * kind's answer, the model and version that produced it, and any warnings.
 */
export async function predictWith(model: Model, body: unknown): Promise<Record<string, unknown>> {
  const { body: answer, warnings, records, signals } = await model.predict(body);
  noteScored(records, signals, warnings.length);
  const reply: Record<string, unknown> = { ...answer, model: { name: model.info.name, version: model.info.version } };
  if (warnings.length > 0) reply.warnings = warnings;
  return reply;
}
