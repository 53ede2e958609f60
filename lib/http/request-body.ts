import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidJson, NotAnApiGatewayEvent, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { settings } from '../settings';

/** The event once its body is read: the route's own body type (any JSON value for a JSON route), to be validated. */
export type BodyEvent<B> = Omit<APIGatewayProxyEvent, 'body'> & { body: B };
/** The event of a route whose body is JSON. */
export type JsonEvent = BodyEvent<unknown>;

/** How a route reads its body. */
export interface BodyFormat<B> {
  /** The parser for a Content-Type (undefined when the request has none), or null to refuse the type with 415. */
  parserFor(contentType: string | undefined): ((text: string) => B) | null;
  /** The 415 message, naming the types the route takes. */
  refusal: string;
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** application/json, or a +json type (application/vnd.api+json), with any parameters. */
export function isJsonType(contentType: string): boolean {
  return jsonMediaType.test(contentType);
}

/** A JSON body: any value, validated later by the route. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Told apart only once parsing failed: a blank body is not valid JSON either.
    throw new InvalidJson(text.trim() === '' ? 'request body is empty; send a JSON object' : 'request body is not valid JSON');
  }
}

/** A body that is JSON, or has no Content-Type (read as JSON). */
export const jsonFormat: BodyFormat<unknown> = {
  parserFor: (contentType) => (contentType === undefined || isJsonType(contentType) ? parseJson : null),
  refusal: 'Content-Type must be application/json',
};

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
 * `serverless invoke local --data '{"tenure": 1, ...}'` (or a direct Lambda
 * invocation) hands the function the request body itself as the event. Said
 * plainly rather than read as an empty request; no quotes in the message, as
 * the CLI prints it inside the JSON-escaped response body.
 */
function assertApiGatewayEvent(event: Partial<APIGatewayProxyEvent> | null | undefined): void {
  if (typeof event?.httpMethod === 'string' && typeof event.requestContext === 'object' && event.requestContext !== null) return;
  throw new NotAnApiGatewayEvent(
    'this function takes an API Gateway proxy event, not a bare request body: put the body in the event as a JSON string under body, ' +
      'beside httpMethod, headers and requestContext, as tests/events/predict.json does ' +
      '(npx serverless invoke local -f predict --path tests/events/predict.json)',
  );
}

/**
 * Reads a request body: the Content-Type picks the parser (415 for one the
 * route does not take), the size limit is checked before anything is parsed
 * (413), then the text is parsed. Written here rather than taken from
 * @middy/http-json-body-parser because that one answers malformed JSON with
 * 415, has no size limit and rejects a request with no Content-Type; our
 * contract is 400 / 413 / missing type read as JSON (README, "Errors").
 */
export function requestBody<B>(format: BodyFormat<B>): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: (request) => {
      assertApiGatewayEvent(request.event);
      const parse = format.parserFor(request.event.headers?.['content-type']);
      if (parse === null) throw new UnsupportedMediaType(format.refusal);
      const text = decodeBody(request.event, settings.maxBodyBytes());
      (request.event as unknown as BodyEvent<B>).body = parse(text);
    },
  };
}
