import { callerId } from '../lib/caller';
import { inSyncWithRepository } from '../lib/dataplane/repository-sync';
import { bodyFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import { jsonFormat } from '../lib/http/request-body';
import { monitoringSummary, sendFeedback } from '../lib/protocols/rest/monitoring';

/**
 * POST /models/{name}/feedback and GET /models/{name}/monitoring (README,
 * "Monitoring"): ground truth for captured inferences, recorded as
 * feedback lines; the latest monitor run's summary. Manifests only: this
 * function never loads onnxruntime.
 */
export const handler = bodyFunction('monitoring', jsonFormat, {
  sendFeedback: async (event) =>
    sendFeedback(pathParameter(event, 'name'), event.body, {
      // The customer's id for a customer key (npm run keys), so feedback joins across its rotations.
      apiKeyId: callerId(event.headers?.['x-api-key'], event.requestContext?.identity?.apiKeyId),
      requestId: event.requestContext?.requestId,
    }),
  describeMonitoring: async (event) => monitoringSummary(pathParameter(event, 'name')),
}).use(inSyncWithRepository());
