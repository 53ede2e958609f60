import type { Model } from '../../model';
import { noteScored, noteShadow } from '../../observability/request-facts';
import { readyShadow, type ServedModel } from '../../registry';
import { scoreShadow } from '../../rollout/shadow';

/**
 * The body of POST /predict and /models/{name}[/versions/{v}|/labels/{l}]/predict:
 * the kind's answer, the model and version that produced it, and any
 * warnings. A split's shadow version scores the same body afterwards; what
 * it says goes to the access line and metrics, never to the answer.
 */
export async function predictWith({ model, routed }: ServedModel, body: unknown): Promise<Record<string, unknown>> {
  const { body: answer, warnings, records, signals } = await model.predict(body);
  noteScored(records, signals, warnings.length);
  if (routed.shadow) {
    const score = async (shadow: Model) => (await shadow.predictAside(body)).body;
    noteShadow(await scoreShadow(routed.shadow.version, readyShadow(routed.shadow), score, answer));
  }
  const reply: Record<string, unknown> = { ...answer, model: { name: model.info.name, version: model.info.version } };
  if (warnings.length > 0) reply.warnings = warnings;
  return reply;
}
