import { infer, type ModelRequest } from '../../dataplane/infer';
import type { Answer } from '../../http/dispatch';
import { versionHeader } from '../../http/response';
import { observe } from '../../capture/observation';
import { extended } from '../../plain-object';
import type { Parameters, PredictBody } from '../../kinds/kind';
import { assertAnswerable, assertTaken, type AnswerFormat } from './formats';

/**
 * POST /predict and /models/{name}[/versions/{v}|/labels/{l}]/predict, in
 * the format the client accepts (./formats), the query string's parameters
 * passed to the kind (top_k): the kind's answer, the model
 * and version that produced it, and any warnings. The data plane serves it
 * (a split's shadow scores the same body; what it says goes to the access
 * line and metrics, never to the answer).
 */
export async function predictWith(request: ModelRequest, body: PredictBody, format: AnswerFormat, parameters: Parameters = {}): Promise<Answer> {
  const served = await infer(
    request,
    async (model) => {
      const prediction = await model.predict(body, parameters);
      const { records, signals, warnings, inferenceMs } = prediction;
      return { answer: prediction, compared: prediction.body, records, signals, warnings: warnings.length, inferenceMs };
    },
    (model) => {
      assertTaken(model.manifest, body);
      assertAnswerable(format, model.manifest);
    },
  );
  const { answer: prediction, model } = served;
  const reply: Record<string, unknown> = extended(prediction.body, { model: { name: model.info.name, version: model.info.version } });
  if (prediction.warnings.length > 0) reply.warnings = prediction.warnings.map(({ path, problem }) => ({ path, problem }));
  // Observed only when capture samples the request (lib/monitoring/capture.ts).
  const capture = { observations: (limit: number) => prediction.scored().slice(0, limit).map((record) => observe(record, model.monitoring)), batch: 'predictions' in prediction.body };
  return {
    response: {
      statusCode: 200,
      headers: { 'content-type': format.contentType, ...versionHeader(model.info.version) },
      body: format.write(prediction, reply),
    },
    facts: extended(served.facts, { capture }),
  };
}
