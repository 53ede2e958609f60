import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { modelDetail, modelList } from '../lib/protocols/rest/describe';
import { settings } from '../lib/settings';

/**
 * GET /models and GET /models/{name}: read from the manifests only, so this
 * function never loads onnxruntime and its cold start stays small.
 */
export const handler = httpRoute('models', async (event) => {
  const name = event.pathParameters?.name;
  return jsonResponse(200, name === undefined ? modelList(settings.defaultModel()) : modelDetail(name));
});
