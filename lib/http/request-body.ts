import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidJson, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { settings } from '../settings';

/** The event once its body is parsed: any JSON value, to be validated. */
export type JsonEvent = Omit<APIGatewayProxyEvent, 'body'> & { body: unknown };

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBody(event: APIGatewayProxyEvent, limit: number): string {
  // API Gateway always sends a string or null; anything else is a direct
  // invocation with a malformed event, answered as bad input rather than 500.
  const body: unknown = event.body ?? '';
  if (typeof body !== 'string') throw new InvalidJson('request body must be JSON text');
  if (!event.isBase64Encoded) {
    if (Buffer.byteLength(body, 'utf8') > limit) throw tooLarge(limit);
    return body;
  }
  // base64 is 4/3 of the bytes: refuse an oversized body before decoding it.
  if (body.length > Math.ceil(limit / 3) * 4 + 4) throw tooLarge(limit);
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > limit) throw tooLarge(limit);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidJson('request body is not valid UTF-8');
  }
}

function tooLarge(limit: number): PayloadTooLarge {
  return new PayloadTooLarge(`request body is larger than ${limit} bytes`);
}

/**
 * Parses a JSON request body. Written here rather than taken from
 * @middy/http-json-body-parser because that one answers malformed JSON with
 * 415, has no size limit and rejects a request with no Content-Type; our
 * contract is 400 / 413 / missing type read as JSON (README, "Errors").
 */
export function jsonBody(): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: (request) => {
      const contentType = request.event.headers?.['content-type'];
      if (contentType !== undefined && !jsonMediaType.test(contentType)) {
        throw new UnsupportedMediaType('Content-Type must be application/json');
      }
      const text = decodeBody(request.event, settings.maxBodyBytes());
      if (text.trim() === '') throw new InvalidJson('request body is empty; send a JSON object');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new InvalidJson('request body is not valid JSON');
      }
      (request.event as unknown as JsonEvent).body = parsed;
    },
  };
}
