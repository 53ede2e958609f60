import { defaultModel } from '../lib/default-model';
import { jsonRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { parsePredictRequest } from '../lib/predict-request';
import { predictionBody } from '../lib/predict-response';

/** POST /predict: one record, or {"instances": [...]}, scored by the default model. */
export const handler = jsonRoute(async (event) => {
  const model = await defaultModel();
  const request = parsePredictRequest(model.manifest, event.body);
  const result = await model.predict(request.records);
  return jsonResponse(200, predictionBody(model.manifest, request, result));
});
