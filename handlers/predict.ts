import { bodyRoute } from '../lib/http/api';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { answerFormatFor, predictBody } from '../lib/protocols/rest/formats';
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
 * /models/{name}/versions/{version}/predict exactly. In the request and
 * answer formats of lib/protocols/rest/formats (JSON, pandas, MLflow, CSV);
 * the version that answered is in the body and in X-Model-Version.
 */
export const handler = bodyRoute('predict', predictBody, async (event) => {
  const format = answerFormatFor(event.headers?.accept);
  const { name, version, label } = event.pathParameters ?? {};
  const served = await serveModel({ name: name ?? defaultModelName(), version, label, apiKeyId: event.requestContext?.identity?.apiKeyId ?? undefined });
  return predictWith(served, event.body, format);
});
