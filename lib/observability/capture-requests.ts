import { callerId } from '../caller';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ValidationFailed } from '../errors';
import { factsOf } from './request-facts';
import { extended } from '../plain-object';
import { settings } from '../settings';
import type { InferenceLine } from '../capture/capture-line';
import { writeCaptureLines } from '../capture/capture-writer';
import type { CaptureSource } from '../capture/observation';
import { requestSlot } from './request-slot';

/**
 * Request capture (README, "Monitoring"). Every predict and infer answer
 * carries its inference id in X-Inference-Id: the caller's own, when sent,
 * else the request's id. CAPTURE_SAMPLE percent of the answered requests
 * leave one capture line per record, `<id>/<i>` for record i of a batch
 * (`<id>` alone for a single record), which feedback names to state what
 * actually happened.
 */

export const INFERENCE_ID_HEADER = 'X-Inference-Id';
/** Letters, digits and . _ : - (no "/", which separates a batch's record number), at most 128. */
const INFERENCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function inferenceIdOf(event: Partial<APIGatewayProxyEvent>): string {
  // httpHeaderNormalizer has lower-cased the names.
  const sent = event.headers?.['x-inference-id'];
  if (sent !== undefined && sent !== null) {
    if (!INFERENCE_ID.test(sent)) throw new ValidationFailed(`the ${INFERENCE_ID_HEADER} header must be 1 to 128 letters, digits, ".", "_", ":" or "-"`, [{ path: '', problem: `${INFERENCE_ID_HEADER} header is malformed` }]);
    return sent;
  }
  return event.requestContext?.requestId ?? `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether this request is captured: CAPTURE_SAMPLE percent of them, at random. */
const sampled = (): boolean => {
  const percent = settings.captureSample();
  return percent >= 100 || (percent > 0 && Math.random() * 100 < percent);
};

/**
 * Records captured of one request at most: its first ones. Firehose splits
 * at most 500 log events out of one CloudWatch Logs record for dynamic
 * partitioning, and sends the rest to capture-errors/; a batch of 1,000
 * records in one invocation would come close to it alone.
 */
export const MAX_CAPTURED_RECORDS = 100;

/** The capture lines of one answered request. */
export function inferenceLines(source: CaptureSource, meta: Omit<InferenceLine, 'inference_id' | 'input' | 'capture' | 'time'> & { id: string }): InferenceLine[] {
  const time = new Date().toISOString();
  const { id, ...rest } = meta;
  return source.observations(MAX_CAPTURED_RECORDS).map((observation, i) => ({
    capture: 'inference',
    inference_id: source.batch ? `${id}/${i}` : id,
    time,
    ...rest,
    ...observation,
  }));
}

/** The request's inference id, on its event (./request-slot.ts). */
const ids = requestSlot<string>('inference id');

export function captureInferences(family: string): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request) => {
      ids.set(request.event, inferenceIdOf(request.event));
    },
    after: (request) => {
      const id = ids.get(request.event);
      if (id === undefined || request.response === null || request.response === undefined) return;
      request.response.headers = extended(request.response.headers ?? {}, { [INFERENCE_ID_HEADER]: id });
      const { served } = factsOf(request.event);
      if (served?.capture === undefined || served.model === undefined || served.version === undefined || !sampled()) return;
      const apiKeyId = callerId(request.event.headers?.['x-api-key'], request.event.requestContext?.identity?.apiKeyId);
      writeCaptureLines(
        inferenceLines(served.capture, {
          id,
          request_id: request.event.requestContext?.requestId,
          model: served.model,
          version: served.version,
          route: family,
          ...(apiKeyId ? { api_key_id: apiKeyId } : {}),
        }),
      );
    },
  };
}
