import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describeBatchJob, startBatchJob, type BatchAnswer } from '../lib/batch-jobs/routes';
import { callerId } from '../lib/caller';
import { bodyFunction } from '../lib/http/api';
import { pathParameter } from '../lib/http/dispatch';
import { jsonFormat } from '../lib/http/request-body';
import { jsonResponse } from '../lib/http/response';

/** Who calls: the customer's id for a customer key (its jobs follow it across rotations), and the key's own id for its usage plan. */
const callerOf = (event: Pick<APIGatewayProxyEvent, 'headers' | 'requestContext'>) => {
  const apiKeyId = event.requestContext?.identity?.apiKeyId ?? undefined;
  return { owner: callerId(event.headers?.['x-api-key'], apiKeyId), apiKeyId };
};

const answer = ({ statusCode, body, facts }: BatchAnswer) => ({ response: jsonResponse(statusCode, body), facts });

/**
 * POST /models/{name}/batch-jobs and GET /models/{name}/batch-jobs/{id}
 * (README, "Batch scoring"): start a Step Functions execution over an S3
 * input, and report it. Manifests only: this function never loads onnxruntime.
 */
export const handler = bodyFunction('batch-jobs', jsonFormat, {
  startBatchJob: async (event) => answer(await startBatchJob(pathParameter(event, 'name'), event.body, callerOf(event))),
  describeBatchJob: async (event) => answer(await describeBatchJob(pathParameter(event, 'name'), pathParameter(event, 'id'), callerOf(event))),
});
