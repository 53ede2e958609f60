import { defaultModelName } from '../lib/default-model';
import { jsonRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { getModel } from '../lib/model-registry';
import { parsePredictRequest } from '../lib/predict-request';
import { predictionBody } from '../lib/predict-response';

/**
 * POST /predict (the default model), POST /models/{name}/predict (its newest
 * version) and POST /models/{name}/versions/{version}/predict: one record, or
 * {"instances": [...]}.
 */
export const handler = jsonRoute(async (event) => {
  const { name, version } = event.pathParameters ?? {};
  const model = await getModel(name ?? defaultModelName(), version);
  const request = parsePredictRequest(model.task, model.info.name, event.body);
  const scored = await model.predict(request.records);
  return jsonResponse(200, predictionBody(model, request, scored));
});
