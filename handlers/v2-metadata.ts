import { ValidationFailed } from '../lib/errors';
import { httpRoute } from '../lib/http/api';
import { jsonResponse } from '../lib/http/response';
import { modelMetadata, serverMetadata } from '../lib/protocols/open-inference/metadata';
import { modelReady, serverReady } from '../lib/protocols/open-inference/readiness';
import { preload } from '../lib/registry';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/**
 * The Open Inference Protocol's GET routes, one function: they share the
 * model cache and are small, so one warm container serves them all.
 * Not ready answers 503 so that probes can read the status code alone.
 */
export const handler = httpRoute('v2-metadata', async (event) => {
  const { name, version } = event.pathParameters ?? {};
  switch (event.resource) {
    case '/v2':
      return jsonResponse(200, serverMetadata());
    case '/v2/health/live':
      return jsonResponse(200, { live: true });
    case '/v2/health/ready': {
      const body = await serverReady();
      return jsonResponse(body.ready ? 200 : 503, body);
    }
    case '/v2/models/{name}':
    case '/v2/models/{name}/versions/{version}':
      return jsonResponse(200, modelMetadata(name!, version));
    case '/v2/models/{name}/ready':
    case '/v2/models/{name}/versions/{version}/ready': {
      const body = await modelReady(name!, version);
      return jsonResponse(body.ready ? 200 : 503, body);
    }
    default:
      throw new ValidationFailed(`no such Open Inference Protocol route: ${event.resource}`);
  }
});
