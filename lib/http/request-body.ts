import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidJson, NotAnApiGatewayEvent, PayloadTooLarge, UnsupportedMediaType } from '../errors';
import { mediaTypeOf } from '../media-type';
import { settings } from '../settings';

/** The event once its body is read: the route's own body type (any JSON value for a JSON route), to be validated. */
export type BodyEvent<B> = Omit<APIGatewayProxyEvent, 'body'> & { body: B };
/** The event of a route whose body is JSON. */
export type JsonEvent = BodyEvent<unknown>;

/** A request body as sent: its bytes (base64 undone) and its media type, before anything reads it. */
export interface RawBody {
  bytes: Buffer;
  /**
   * The body as text, when the event already held it as text (not base64):
   * what decoding `bytes` as UTF-8 gives, without encoding the string into
   * bytes and decoding them again (see sentText).
   */
  text?: string;
  /** The Content-Type's media type, lowercased, without parameters; undefined without one. */
  mediaType: string | undefined;
  /** The whole Content-Type header (a multipart body's boundary is a parameter). */
  contentType: string | undefined;
}

/** How a route reads its body. */
export interface BodyFormat<B> {
  /** The reader for a media type (undefined when the request has no Content-Type), or null to refuse the type with 415. */
  readerFor(mediaType: string | undefined): ((body: RawBody) => B | Promise<B>) | null;
  /** The 415 message, naming the types the route takes. */
  refusal: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** application/json, or a +json type (application/vnd.api+json). */
export function isJsonType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType);
}

/** A text body (JSON, CSV) as a string: UTF-8, refused with 400 when it is not. */
export function textOf(body: RawBody): string {
  if (body.text !== undefined) return body.text;
  try {
    return utf8.decode(body.bytes);
  } catch {
    throw new InvalidJson('request body is not valid UTF-8');
  }
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
  readerFor: (mediaType) => (mediaType === undefined || isJsonType(mediaType) ? (body) => parseJson(textOf(body)) : null),
  refusal: 'Content-Type must be application/json',
};

/** ES2024's string methods, in Node since 20; tsconfig's lib is ES2022. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * A text event body as decoding its UTF-8 bytes gives it: lone surrogates
 * (which UTF-8 cannot hold) become U+FFFD and a leading byte-order mark is
 * dropped, as Buffer.from then TextDecoder did. Encoding a 430 KB batch into
 * bytes and decoding it again was a seventh of a 1,000-record request
 * (BENCHMARKS.md, "A batch of 1,000").
 */
function sentText(body: string): string {
  const sent = body as string & WellFormed;
  const text = sent.isWellFormed() ? body : sent.toWellFormed();
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The body's bytes, and its text when the event held text. API Gateway
 * sends every body base64-encoded (serverless.yml's binaryMediaTypes is
 * every type, so the event's size is 4/3 of the body's, whatever it holds:
 * README, "Limits"); a hand-made event may send text, whose bytes are made
 * only if a reader asks for them (a form, an upload). The limit is on the
 * bytes, checked before decoding.
 */
function bodyOf(event: APIGatewayProxyEvent, limit: number): Pick<RawBody, 'bytes' | 'text'> {
  // API Gateway always sends a string or null; anything else is a direct
  // invocation with a malformed event, answered as bad input rather than 500.
  const body: unknown = event.body ?? '';
  if (typeof body !== 'string') throw new InvalidJson('request body must be a string in the event');
  if (!event.isBase64Encoded) {
    const size = Buffer.byteLength(body, 'utf8');
    if (size > limit) throw tooLarge(size, limit);
    let bytes: Buffer | undefined;
    return {
      get bytes() {
        return (bytes ??= Buffer.from(body, 'utf8'));
      },
      text: sentText(body),
    };
  }
  // base64 is 4/3 of the bytes: refuse an oversized body before decoding it.
  const estimate = Math.floor((body.length * 3) / 4);
  if (estimate > limit + 2) throw tooLarge(estimate, limit);
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > limit) throw tooLarge(bytes.length, limit);
  return { bytes };
}

/** The 413 for a body over MAX_BODY_BYTES: how large it is, the limit, and what to do instead. */
export function tooLarge(size: number, limit: number): PayloadTooLarge {
  return new PayloadTooLarge(
    `request body is about ${size} bytes, over this API's limit of ${limit} bytes (MAX_BODY_BYTES): ` +
      'send fewer records or images per request, or smaller images (README, "Limits")',
  );
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
 * Reads a request body: the Content-Type picks the reader (415 for one the
 * route does not take), the size limit is checked before anything is read
 * (413), then the route's reader reads the bytes. Written here rather than taken from
 * @middy/http-json-body-parser because that one answers malformed JSON with
 * 415, has no size limit and rejects a request with no Content-Type; our
 * contract is 400 / 413 / missing type read as JSON (README, "Errors").
 */
export function requestBody<B>(format: BodyFormat<B>): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: async (request) => {
      assertApiGatewayEvent(request.event);
      // A function with both (monitoring): its GET routes read no body.
      if (request.event.httpMethod === 'GET') return;
      const contentType = request.event.headers?.['content-type'];
      const mediaType = mediaTypeOf(contentType);
      // A Content-Type that is no media type at all ("json") is refused like an unknown one.
      const read = contentType !== undefined && mediaType === undefined ? null : format.readerFor(mediaType);
      if (read === null) throw new UnsupportedMediaType(format.refusal);
      const body = bodyOf(request.event, settings.maxBodyBytes());
      (request.event as unknown as BodyEvent<B>).body = await read(Object.assign(body, { mediaType, contentType }));
    },
  };
}
