import busboy from 'busboy';
import { InvalidForm } from '../../../errors';
import type { PredictBody, Upload } from '../../../bodies/types';
import type { RawBody } from '../../../http/request-body';
import { pointer } from '../../../json-pointer';
import { mediaTypeOf } from '../../../media-type';
import { shorten } from '../../../shorten';

/** A form has a few fields (a file and, say, top_k): more is not a client of this API. */
const MAX_PARTS = 32;
const MAX_FIELD_BYTES = 64 * 1024;

/**
 * A browser form upload (multipart/form-data, RFC 7578), read with busboy
 * (the parser behind multer): its files by field name, and its text fields.
 * The body is already in memory and bounded by MAX_BODY_BYTES; a part's
 * declared type is kept, a file without one is application/octet-stream.
 */
export function readForm(body: RawBody): Promise<Extract<PredictBody, { form: unknown }>> {
  return new Promise((resolve, reject) => {
    // No prototype: a field named __proto__ is a field like any other.
    const files: Record<string, Upload> = Object.create(null) as Record<string, Upload>;
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    const refuse = (message: string) => reject(new InvalidForm(message, [{ path: '', problem: message }]));
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': body.contentType ?? '' },
        limits: { parts: MAX_PARTS, fieldSize: MAX_FIELD_BYTES },
        defParamCharset: 'utf8',
      });
    } catch {
      refuse('multipart/form-data needs a boundary parameter in its Content-Type');
      return;
    }
    const named = (name: string) => {
      if (Object.hasOwn(files, name) || Object.hasOwn(fields, name)) {
        refuse(`the form has the field "${shorten(name)}" more than once`);
        return false;
      }
      return true;
    };
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A body cut off inside a file part: busboy fails the part's stream, which would otherwise throw from an 'error' event no one hears.
      stream.on('error', (error: Error) => refuse(`the form cannot be read: ${shorten(error.message, 120)}`));
      stream.on('end', () => {
        if (!named(name)) return;
        files[name] = { bytes: Buffer.concat(chunks), mediaType: mediaTypeOf(info.mimeType) ?? 'application/octet-stream', path: pointer(name) };
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) refuse(`the form's field "${shorten(name)}" is longer than ${MAX_FIELD_BYTES} bytes`);
      else if (named(name)) fields[name] = value;
    });
    parser.on('partsLimit', () => refuse(`the form has more than ${MAX_PARTS} parts`));
    parser.on('error', (error: Error) => refuse(`the form cannot be read: ${shorten(error.message, 120)}`));
    parser.on('close', () => resolve({ form: { files, fields } }));
    parser.end(body.bytes);
  });
}
