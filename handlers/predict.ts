import { jsonRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { predictWith } from '../lib/protocols/rest/predict';
import { getModel, preload } from '../lib/registry';
import { settings } from '../lib/settings';

// During Lambda's init: the default model's file is read and hashed, and its session built.
preload(settings.defaultModel());

/**
 * POST /predict (the default model), POST /models/{name}/predict (its newest
 * version) and POST /models/{name}/versions/{version}/predict, in the
 * request formats of the model's kind.
 */
export const handler = jsonRoute('predict', async (event) => {
  const { name, version } = event.pathParameters ?? {};
  const model = await getModel(name ?? defaultModelName(), version);
  return jsonResponse(200, await predictWith(model, event.body));
});
