import { callerId } from '../lib/caller';
import type { ModelRequest } from '../lib/dataplane/infer';
import { preload } from '../lib/dataplane/preload';
import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { bodyFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import type { BodyEvent } from '../lib/http/request-body';
import type { PredictBody } from '../lib/kinds/kind';
import { defaultModelName } from '../lib/protocols/rest/default-model';
import { answerFormatFor, predictBody } from '../lib/protocols/rest/formats';
import { predictWith } from '../lib/protocols/rest/predict';
import { extended } from '../lib/plain-object';
import { settings } from '../lib/settings';

// During Lambda's init: the default model's files are read and hashed, and
// its sessions built (every version its traffic file serves or shadows).
preload(settings.defaultModel());

type PredictEvent = BodyEvent<PredictBody>;

/** The model the route names, the caller's key id for a sticky split, the body and the answer format the client accepts. */
function predict(event: PredictEvent, request: Omit<ModelRequest, 'apiKeyId'>) {
  // The customer's id for a customer key (npm run keys): its sticky bucket follows it across rotations.
  const apiKeyId = callerId(event.headers?.['x-api-key'], event.requestContext?.identity?.apiKeyId);
  return predictWith(extended(request, { apiKeyId }), event.body, answerFormatFor(event.headers?.accept), event.queryStringParameters ?? {});
}

/**
 * POST /predict (the default model) and POST /models/{name}/predict, as the
 * model's traffic file splits them (the newest version without one);
 * /models/{name}/labels/{label}/predict and
 * /models/{name}/versions/{version}/predict exactly. In the request and
 * answer formats of lib/protocols/rest/formats (JSON, pandas, MLflow, CSV);
 * the version that answered is in the body and in X-Model-Version.
 */
export const handler = bodyFunction('predict', predictBody, {
  predictDefault: (event) => predict(event, { name: defaultModelName() }),
  predictModel: (event) => predict(event, { name: pathParameter(event, 'name') }),
  predictModelVersion: (event) => predict(event, { name: pathParameter(event, 'name'), version: pathParameter(event, 'version') }),
  predictModelLabel: (event) => predict(event, { name: pathParameter(event, 'name'), label: pathParameter(event, 'label') }),
}, { capture: true }).use(inSyncWithRepository());
