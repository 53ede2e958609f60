import { jsonRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { infer } from '../lib/protocols/open-inference/infer';
import { getModel, preload } from '../lib/registry';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/** POST /v2/models/{name}[/versions/{version}]/infer (Open Inference Protocol). */
export const handler = jsonRoute('v2-infer', async (event) => {
  const { name, version } = event.pathParameters ?? {};
  const model = await getModel(name!, version);
  return jsonResponse(200, await infer(model, event.body));
});
