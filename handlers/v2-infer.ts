import { defaultModelName } from '../lib/default-model';
import { jsonRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { getModel } from '../lib/model-registry';
import { infer, v2ErrorFormat } from '../lib/open-inference';

/** POST /v2/models/{name}[/versions/{version}]/infer (Open Inference Protocol). */
export const handler = jsonRoute(async (event) => {
  const { name, version } = event.pathParameters ?? {};
  const model = await getModel(name ?? defaultModelName(), version);
  return jsonResponse(200, await infer(model, event.body));
}, v2ErrorFormat);
