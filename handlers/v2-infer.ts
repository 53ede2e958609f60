import { callerId } from '../lib/caller';
import { preload } from '../lib/dataplane/preload';
import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { bodyFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import { jsonFormat, type JsonEvent } from '../lib/http/request-body';
import { inferWith } from '../lib/protocols/open-inference/infer';
import { settings } from '../lib/settings';

preload(settings.defaultModel());

/** The customer's id for a customer key (npm run keys), else the key's: a sticky split follows a customer across rotations. */
const apiKeyIdOf = (event: JsonEvent) => callerId(event.headers?.['x-api-key'], event.requestContext?.identity?.apiKeyId);

/**
 * POST /v2/models/{name}[/versions/{version}]/infer (Open Inference
 * Protocol). Without a version the model's traffic file splits it, as
 * /models/{name}/predict (the protocol leaves the choice to the server), its
 * shadow included; the answer's model_version and X-Model-Version name the
 * version.
 */
export const handler = bodyFunction('v2-infer', jsonFormat, {
  v2Infer: (event) => inferWith({ name: pathParameter(event, 'name'), apiKeyId: apiKeyIdOf(event) }, event.body, event.headers?.accept),
  v2InferVersion: (event) => inferWith({ name: pathParameter(event, 'name'), version: pathParameter(event, 'version'), apiKeyId: apiKeyIdOf(event) }, event.body, event.headers?.accept),
}, { capture: true }).use(inSyncWithRepository());
