import type { APIGatewayProxyResult } from 'aws-lambda';
import { versionHeader } from '../../http/response';
import type { PredictBody } from '../../kinds/kind';
import type { Model } from '../../model';
import { noteScored } from '../../observability/request-facts';
import type { ServedModel } from '../../registry';
import { compareShadow } from '../../rollout/shadow';
import { assertAnswerable, type AnswerFormat } from './formats';

/**
 * The answer of POST /predict and /models/{name}[/versions/{v}|/labels/{l}]/predict,
 * in the format the client accepts (./formats): the kind's answer, the
 * model and version that produced it, and any warnings. A split's shadow
 * version scores the same body afterwards; what it says goes to the access
 * line and metrics, never to the answer.
 */
export async function predictWith({ model, routed }: ServedModel, body: PredictBody, format: AnswerFormat): Promise<APIGatewayProxyResult> {
  assertAnswerable(format, model.manifest);
  const prediction = await model.predict(body);
  const { body: answer, warnings, records, signals } = prediction;
  noteScored(records, signals, warnings.length);
  await compareShadow(routed, async (shadow: Model) => (await shadow.predictAside(body)).body, answer);
  const reply: Record<string, unknown> = { ...answer, model: { name: model.info.name, version: model.info.version } };
  if (warnings.length > 0) reply.warnings = warnings.map(({ path, problem }) => ({ path, problem }));
  return {
    statusCode: 200,
    headers: { 'content-type': format.contentType, ...versionHeader(model) },
    body: format.write(prediction, reply),
  };
}
