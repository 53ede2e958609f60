import type { ErrorDetail } from '../errors';

/** A problem that did not stop the request; `record` is the batch position of the record it concerns, absent when it concerns the request as a whole. */
export interface Warning extends ErrorDetail {
  record?: number;
}

/**
 * The records of a request before validation, whatever format they came in:
 * our JSON (one record or {"instances": [...]}, read by the record kinds) or
 * a table (CSV, pandas split, MLflow's dataframe_split and dataframe_records,
 * read by lib/protocols/rest/formats). Everything after this point, limits,
 * field names, preprocessing, validation, errors and warnings, is the same
 * for every format.
 */
export interface RecordBatch {
  records: readonly unknown[];
  /** One bare record was sent: answered with one prediction rather than {"predictions": [...]}. */
  single: boolean;
  /** Where record `index` (and one of its fields) is, for error and warning paths. */
  at(index: number, field?: string): string;
  /** Where the records are, for an empty batch: "/instances", "/rows". */
  where: string;
  /** The batch in a message: '"instances"', 'the CSV body'. */
  name: string;
  /** The warning for a field the model does not know: each record's in JSON, once per column in a table. */
  unknownField(index: number, key: string): Warning;
  /** Warnings from reading the body (keys beside the records that are ignored). */
  warnings: Warning[];
  /** The media type it came in: a model that takes no records refuses CSV with 415, a DataFrame in JSON with 400. */
  mediaType: 'application/json' | 'text/csv';
}

/** A file sent as the whole body (Content-Type: image/png) or as a form's file field. */
export interface Upload {
  bytes: Buffer;
  /** Its media type, lowercased, without parameters: "image/png". */
  mediaType: string;
  /** Where it is, for error paths: "" for the whole body, "/image" for a form field. */
  path: string;
}

/** A browser form's parts: files by field name, and the text fields. */
export interface Form {
  files: Readonly<Record<string, Upload>>;
  fields: Readonly<Record<string, string>>;
}

/**
 * A predict request's body as a kind receives it, still as sent: JSON in one
 * of the kind's own shapes, records read from a table (CSV, pandas, MLflow),
 * a file as the whole body (Content-Type: image/png), or a form
 * (multipart/form-data). lib/protocols/rest/formats reads each from the
 * request's bytes by its media type.
 */
export type PredictBody = { json: unknown } | { table: RecordBatch } | { upload: Upload } | { form: Form };

/** The media type a body came in, for the messages that name what a model takes. */
export function mediaTypeOfBody(body: PredictBody): string {
  if ('json' in body) return 'application/json';
  if ('table' in body) return body.table.mediaType;
  if ('upload' in body) return body.upload.mediaType;
  return 'multipart/form-data';
}
