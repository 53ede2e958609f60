import { infer } from '../dataplane/infer';
import { PayloadTooLarge, ServiceError, UnsupportedMediaType, type ErrorDetail } from '../errors';
import type { PredictBody } from '../kinds/kind';
import type { Model } from '../model';
import { assertTaken, predictBody } from '../protocols/rest/formats';
import { settings } from '../settings';
import type { ImageFile } from './image-files';
import { resolveTarget, rowErrorOf, type BatchTarget, type RowError } from './score-rows';

/**
 * The pictures of a folder scored one by one (README, "Batch scoring"),
 * each as POST /models/{name}/predict scores that picture sent as the whole
 * body with its Content-Type (./image-files.ts: by its extension): the
 * route's body reader (lib/protocols/rest/formats, predictBody), then the
 * data plane's infer and the model's predict, so the kind's own decoding,
 * validation, preprocessing, answer and warnings. A file the route would
 * refuse (a type it does not take by its name or by its bytes: 415; over
 * MAX_BODY_BYTES: 413; a picture that cannot be decoded: 400 invalid_image) fails its own row with the
 * route's code and message. One picture a call, as the route takes one
 * raw body a call, and one file in memory at a time.
 *
 * A run failure (thrown before any file is read): an unknown model, version
 * or label (404), a model that cannot load (503), a model that takes no
 * pictures (415, the route's own check).
 */

export interface ScoredFile {
  /** The file's name relative to the folder. */
  file: string;
  /** The route's answer for the picture (no model reference); absent when the row failed. */
  answer?: Record<string, unknown>;
  warnings: ErrorDetail[];
  error?: RowError;
}

/** What the route's body reader makes of the file's bytes sent with its Content-Type, or its 415 / 413. */
async function uploadOf(file: ImageFile): Promise<PredictBody> {
  const read = predictBody.readerFor(file.mediaType);
  const because = { path: '', problem: `is sent as ${file.mediaType}, by its name` };
  if (read === null) throw new UnsupportedMediaType(predictBody.refusal, [because]);
  const limit = settings.maxBodyBytes();
  // Not read at all when too large: one picture is held at a time, and only one the route would take.
  if (file.size > limit) throw new PayloadTooLarge(`the file is ${file.size} bytes, over this API's limit of ${limit} bytes (MAX_BODY_BYTES) for one picture`);
  const body = await read({ bytes: await file.read(), mediaType: file.mediaType, contentType: file.mediaType });
  return body;
}

/** A picture's kind check before anything is read: the route's 415 for a model that takes no pictures. */
export function assertTakesPictures(model: Pick<Model, 'manifest'>): void {
  assertTaken(model.manifest, { upload: { bytes: Buffer.alloc(0), mediaType: 'image/jpeg', path: '' } });
}

/**
 * A refusal of the picture itself, the route's 4xx for it (400, 413, 415 for
 * bytes that are no picture the kind decodes, 422), as opposed to one of the
 * run: the model was found and takes pictures before any file was read, so a
 * 404 now is the model gone mid-run.
 */
const isPictureError = (error: unknown): error is ServiceError => error instanceof ServiceError && error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 404;

async function scoreFile(target: { name: string; version: string }, file: ImageFile): Promise<ScoredFile> {
  let body: PredictBody;
  try {
    body = await uploadOf(file);
  } catch (error) {
    if (!isPictureError(error)) throw error;
    return { file: file.name, warnings: [], error: rowErrorOf(error) };
  }
  try {
    const served = await infer(
      target,
      async (model) => {
        const prediction = await model.predict(body);
        return { answer: prediction, compared: null, records: prediction.records, signals: [], warnings: prediction.warnings.length, inferenceMs: 0 };
      },
      (model) => assertTaken(model.manifest, body),
    );
    const warnings = served.answer.warnings.map(({ path, problem }) => ({ path, problem }));
    return { file: file.name, answer: served.answer.body, warnings };
  } catch (error) {
    if (!isPictureError(error)) throw error;
    return { file: file.name, warnings: [], error: rowErrorOf(error) };
  }
}

/**
 * The files' ScoredFiles, one at a time in the files' order (see the top
 * of this file): a file is read only when the consumer asks for its row.
 * The version is resolved once, and the model checked, before any is read.
 */
export async function* scoreImages(target: BatchTarget, files: Iterable<ImageFile> | AsyncIterable<ImageFile>): AsyncGenerator<ScoredFile, void, undefined> {
  const resolved = resolveTarget(target);
  await infer(resolved, async () => ({ answer: null, compared: null, records: 0, signals: [], warnings: 0, inferenceMs: 0 }), assertTakesPictures);
  for await (const file of files) yield await scoreFile(resolved, file);
}
