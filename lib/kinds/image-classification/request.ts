import { isPlainObject } from '../../plain-object';
import { PayloadTooLarge, UnsupportedMediaType, ValidationFailed } from '../../errors';
import { pointer } from '../../json-pointer';
import { shorten } from '../../shorten';
import type { Parameters, PredictBody, Warning } from '../kind';
import type { PictureSource } from './decode';
import { IMAGE_TYPES } from './manifest';

/** The multipart field a browser form sends its picture in (README, "Images"). */
export const FORM_FIELD = 'image';

/** One picture of a request, still encoded, and where it is for messages and error paths (decode.ts's PictureSource). */
export interface Picture extends PictureSource {
  bytes: Buffer;
}

/**
 * Most pictures one request may carry, whatever MAX_BATCH says for records:
 * each is decoded and becomes a 3×H×W float tensor (600 KB at 224×224), and
 * a ResNet-18 takes ~50 ms a picture on one vCPU, so 32 stay within a
 * second or two and a few tens of MB where 1,000 tiny PNGs in a 100 KB body
 * would take a gigabyte and the function's whole timeout.
 */
export const MAX_PICTURES = 32;

export function assertPictureCount(count: number, what: string): void {
  if (count > MAX_PICTURES) {
    throw new PayloadTooLarge(`${what} holds ${count} pictures; at most ${MAX_PICTURES} are decoded per request: send the rest in further requests`);
  }
}

export interface PictureRequest {
  pictures: Picture[];
  /** One picture was sent (a raw body, a form, {"image": ...}): answered without {"predictions": [...]}. */
  single: boolean;
  /** How many labels to answer, when the request says. */
  topK?: number;
  warnings: Warning[];
}

const bad = (path: string, problem: string, message: string) => new ValidationFailed(message, [{ path, problem }]);

/** A picture in base64 (whitespace and a data: URL prefix allowed), refused when it is anything else. */
export function base64Bytes(value: unknown, path: string, name: string): Picture {
  const typed = false;
  const text = typeof value === 'string' ? value.replace(/^data:[\w/+.-]+;base64,/, '').replace(/\s+/g, '') : '';
  if (typeof value !== 'string') throw bad(path, 'must be a base64 string', `${name} must be a picture in base64`);
  if (text.length === 0) throw bad(path, 'is empty', `${name} is empty`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) throw bad(path, 'is not base64', `${name} is not base64`);
  return { bytes: Buffer.from(text, 'base64'), path, name, typed };
}

/** TensorFlow Serving's {"b64": "..."}. */
function base64Picture(value: unknown, path: string, name: string): Picture {
  if (!isPlainObject(value) || !Object.hasOwn(value, 'b64')) {
    throw bad(path, 'must be {"b64": "<base64 of the picture>"}', `${name} must be {"b64": "<base64 of a JPEG, PNG, WebP or GIF>"}`);
  }
  return base64Bytes(value.b64, `${path}/b64`, name);
}

/** top_k as the body, a form field or the query gives it: a whole number from 1 (more than there are labels: every label). */
function topKOf(value: unknown, where: string, path: string): number {
  const number = typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw bad(path, 'must be a whole number from 1', `top_k ${where} must be a whole number from 1 (more than there are labels answers every label)`);
  }
  return number;
}

function jsonRequest(json: unknown): PictureRequest {
  if (!isPlainObject(json)) throw bad('', 'must be an object', 'request body must be {"image": {"b64": "..."}} or {"instances": [{"b64": "..."}, ...]}');
  const hasImage = Object.hasOwn(json, FORM_FIELD);
  const hasInstances = Object.hasOwn(json, 'instances');
  if (hasImage === hasInstances) {
    throw bad('', hasImage ? 'has both "image" and "instances"' : 'needs "image" or "instances"', 'send {"image": {"b64": "..."}} for one picture or {"instances": [{"b64": "..."}, ...]} for a batch');
  }
  const warnings: Warning[] = Object.keys(json)
    .filter((k) => k !== FORM_FIELD && k !== 'instances' && k !== 'top_k')
    .slice(0, 20)
    .map((k) => ({ path: pointer(k), problem: 'unknown field, ignored' }));
  const topK = Object.hasOwn(json, 'top_k') ? topKOf(json.top_k, 'in the body', '/top_k') : undefined;
  if (hasImage) return { pictures: [base64Picture(json.image, '/image', 'the image')], single: true, topK, warnings };
  const instances = json.instances;
  if (!Array.isArray(instances) || instances.length === 0) throw bad('/instances', 'must be a non-empty array', '"instances" must be a non-empty array of {"b64": "..."}');
  assertPictureCount(instances.length, '"instances"');
  const pictures = instances.map((instance, i) => {
    // {"b64": ...} or, as TensorFlow Serving also takes it, {"image": {"b64": ...}}.
    const value = isPlainObject(instance) && Object.hasOwn(instance, FORM_FIELD) ? instance[FORM_FIELD] : instance;
    const path = isPlainObject(instance) && Object.hasOwn(instance, FORM_FIELD) ? pointer('instances', i, FORM_FIELD) : pointer('instances', i);
    return base64Picture(value, path, `instance ${i}`);
  });
  return { pictures, single: false, topK, warnings };
}

const takenType = (mediaType: string) => (IMAGE_TYPES as readonly string[]).includes(mediaType) || mediaType === 'application/octet-stream';

/**
 * The pictures of a request in any of its four forms (README, "Images"): a
 * raw image body, a browser form's `image` file, JSON with TensorFlow
 * Serving's b64 objects; top_k from the body or form, else the query.
 */
export function readPictures(body: PredictBody, parameters: Parameters): PictureRequest {
  let request: PictureRequest;
  if ('upload' in body) {
    request = { pictures: [{ bytes: body.upload.bytes, path: '', name: 'the image', typed: true }], single: true, warnings: [] };
  } else if ('form' in body) {
    const { files, fields } = body.form;
    const file = Object.hasOwn(files, FORM_FIELD) ? files[FORM_FIELD] : undefined;
    if (file === undefined) {
      const names = [...Object.keys(files), ...Object.keys(fields)].map((n) => `"${shorten(n, 40)}"`);
      throw bad(pointer(FORM_FIELD), 'is required', `the form needs a file field "${FORM_FIELD}"${names.length ? ` (it has ${names.slice(0, 10).join(', ')})` : ' (it has no fields)'}`);
    }
    if (!takenType(file.mediaType)) throw new UnsupportedMediaType(`the form's "${FORM_FIELD}" file is ${file.mediaType}; send a JPEG, PNG, WebP or GIF picture`);
    const warnings: Warning[] = [...Object.keys(files), ...Object.keys(fields)]
      .filter((k) => k !== FORM_FIELD && k !== 'top_k')
      .slice(0, 20)
      .map((k) => ({ path: pointer(k), problem: 'unknown form field, ignored' }));
    const topK = Object.hasOwn(fields, 'top_k') ? topKOf(fields.top_k, 'in the form', pointer('top_k')) : undefined;
    request = { pictures: [{ bytes: file.bytes, path: pointer(FORM_FIELD), name: 'the image', typed: true }], single: true, topK, warnings };
  } else if ('json' in body) {
    request = jsonRequest(body.json);
  } else {
    // The predict routes refuse a table for a kind that takes no records (assertTaken).
    throw new Error('a table body reached the image kind');
  }
  if (parameters.top_k !== undefined) {
    const fromQuery = topKOf(parameters.top_k, 'in the query string', '');
    if (request.topK === undefined) request.topK = fromQuery;
    else if (request.topK !== fromQuery) request.warnings.push({ path: '/top_k', problem: `top_k ${request.topK} of the body is used; the query string's ${fromQuery} is ignored` });
  }
  return request;
}
