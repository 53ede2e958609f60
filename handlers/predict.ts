import { jsonRoute } from '../lib/http/api';
import { jsonResponse, versionHeader } from '../lib/http/response';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { predictWith } from '../lib/protocols/rest/predict';
import { preload, serveModel } from '../lib/registry';
import { settings } from '../lib/settings';

// During Lambda's init: the default model's files are read and hashed, and
// its sessions built (every version its traffic file serves or shadows).
preload(settings.defaultModel());

/**
 * POST /predict (the default model) and POST /models/{name}/predict, as the
 * model's traffic file splits them (the newest version without one);
 * /models/{name}/labels/{label}/predict and
 * /models/{name}/versions/{version}/predict exactly. In the request formats
 * of the model's kind; the version that answered is in the body and in
 * X-Model-Version.
 */
export const handler = jsonRoute('predict', async (event) => {
  const { name, version, label } = event.pathParameters ?? {};
  const served = await serveModel({ name: name ?? defaultModelName(), version, label, apiKeyId: event.requestContext?.identity?.apiKeyId ?? undefined });
  return jsonResponse(200, await predictWith(served, event.body), versionHeader(served.model));
});
