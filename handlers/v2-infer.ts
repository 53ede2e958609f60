import { jsonRoute } from '../lib/http/api';
import { jsonResponse, versionHeader } from '../lib/http/response';
import { inferWith } from '../lib/protocols/open-inference/infer';
import { preload, serveModel } from '../lib/registry';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/**
 * POST /v2/models/{name}[/versions/{version}]/infer (Open Inference
 * Protocol). Without a version the model's traffic file splits it, as
 * /models/{name}/predict (the protocol leaves the choice to the server), its
 * shadow included; the answer's model_version and X-Model-Version name the
 * version.
 */
export const handler = jsonRoute('v2-infer', async (event) => {
  const { name, version } = event.pathParameters ?? {};
  const served = await serveModel({ name: name!, version, apiKeyId: event.requestContext?.identity?.apiKeyId ?? undefined });
  return jsonResponse(200, await inferWith(served, event.body), versionHeader(served.model));
});
