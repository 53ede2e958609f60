import { isPlainObject } from '../../../plain-object';
import { mediaTypeOfBody } from '../../../bodies/types';
import { NotAcceptable, UnsupportedMediaType, ValidationFailed } from '../../../errors';
import { negotiateMediaType } from '../../../http/accept';
import { isJsonType, parseJson, textOf, type BodyFormat } from '../../../http/request-body';
import { KINDS, kindOf, type Manifest } from '../../../kinds';
import type { PredictBody, Prediction, RecordBatch } from '../../../kinds/kind';
import { csvAnswer, isCsvType, readCsv } from './csv';
import { readForm } from './form';
import { mlflowRecords, mlflowRecordsSchema, mlflowSplit, mlflowSplitSchema, pandasSplit, pandasSplitSchema } from './dataframe';

/**
 * The bodies POST /predict and /models/{name}[/versions/{v}|/labels/{l}]/predict
 * take and the answers they give (README, "Request formats"), in one table:
 * the route reads and writes by it, and the OpenAPI document is generated
 * from it. Every table format becomes the same list of records
 * (kinds/records/request.ts), so limits, validation, errors and warnings
 * are those of JSON.
 */

type JsonSchema = Record<string, unknown>;
export type RequestMediaType = 'application/json' | 'text/csv';

export interface RequestFormat {
  id: 'model-json' | 'pandas-split' | 'mlflow-dataframe-split' | 'mlflow-dataframe-records' | 'csv';
  mediaType: RequestMediaType;
  title: string;
  description: string;
  /** Whether a model takes it: its kind's own JSON, every model; the table formats, the kinds that take records. */
  takes(manifest: Manifest): boolean;
  /** The body's JSON Schema (for CSV: the body is text); the model's own for model-json, the one that validates its requests. */
  schema(manifest: Manifest): JsonSchema;
  /** JSON bodies: the top-level keys that name this format; the kind's own JSON is what has none of the others. */
  keys: readonly string[];
  /** Reads a body of this format: a parsed JSON value, or the CSV text. */
  read(body: unknown): PredictBody;
}

export interface AnswerFormat {
  id: 'json' | 'csv';
  mediaType: 'application/json' | 'text/csv';
  /** The Content-Type of the answer. */
  contentType: string;
  description: string;
  takes(manifest: Manifest): boolean;
  /** null: per model, the kind's answer (the OpenAPI generator's); for CSV the body is text. */
  schema: JsonSchema | null;
  /** The answer body from the prediction and the JSON reply (answer, model, warnings). */
  write(prediction: Prediction, reply: Record<string, unknown>): string;
}

const takesRecords = (manifest: Manifest) => kindOf(manifest).records;
const table = (read: (body: unknown) => RecordBatch) => (body: unknown): PredictBody => ({ table: read(body) });

export const REQUEST_FORMATS: readonly RequestFormat[] = [
  {
    id: 'model-json',
    mediaType: 'application/json',
    title: "the model's JSON",
    description: 'one record, or {"instances": [records]} (up to MAX_BATCH); tensor models: {"instances": [rows]} or {"inputs": tensors}. GET /models/{name} publishes it as request_schema.',
    takes: () => true,
    schema: (manifest) => kindOf(manifest).requestSchema(manifest),
    keys: [],
    read: (json) => ({ json }),
  },
  {
    id: 'pandas-split',
    mediaType: 'application/json',
    title: 'pandas split',
    description: 'df.to_json(orient="split"): {"columns", "index", "data"}; one record per row of data.',
    takes: takesRecords,
    schema: () => pandasSplitSchema,
    keys: ['columns', 'data'],
    read: table(pandasSplit),
  },
  {
    id: 'mlflow-dataframe-split',
    mediaType: 'application/json',
    title: 'MLflow dataframe_split',
    description: "MLflow's scoring-server body {\"dataframe_split\": df.to_dict(orient=\"split\")}.",
    takes: takesRecords,
    schema: () => mlflowSplitSchema,
    keys: ['dataframe_split'],
    read: table(mlflowSplit),
  },
  {
    id: 'mlflow-dataframe-records',
    mediaType: 'application/json',
    title: 'MLflow dataframe_records',
    description: "MLflow's scoring-server body {\"dataframe_records\": df.to_dict(orient=\"records\")}.",
    takes: takesRecords,
    schema: () => mlflowRecordsSchema,
    keys: ['dataframe_records'],
    read: table(mlflowRecords),
  },
  {
    id: 'csv',
    mediaType: 'text/csv',
    title: 'CSV',
    description: 'a header row, then one row per record (RFC 4180, UTF-8); paths in errors and warnings name rows from 1: /rows/3/tenure.',
    takes: takesRecords,
    schema: () => ({ type: 'string', description: 'CSV text: a header row with the field names, then one row per record' }),
    keys: [],
    read: (text) => ({ table: readCsv(String(text)) }),
  },
];

export const ANSWER_FORMATS: readonly AnswerFormat[] = [
  {
    id: 'json',
    mediaType: 'application/json',
    contentType: 'application/json; charset=utf-8',
    description: 'the answer (one record) or {"predictions": [...]} (a batch or any table), with "model" and, when there are any, "warnings"',
    takes: () => true,
    schema: null,
    write: (_prediction, reply) => JSON.stringify(reply),
  },
  {
    id: 'csv',
    mediaType: 'text/csv',
    contentType: 'text/csv; charset=utf-8',
    description:
      'a header, then one row per record: one column per answer field (each class probability its own column, as probabilities.<class>), ' +
      'and a last column "warnings", a JSON array of {path, problem} about that record or the whole request, empty when none. Models that take tensors answer 406.',
    takes: takesRecords,
    schema: { type: 'string', description: 'CSV text: a header row, then one row per record' },
    write: (prediction) => csvAnswer(prediction.answers ?? [], prediction.warnings),
  },
];
const ANSWER_MEDIA_TYPES = ANSWER_FORMATS.map((f) => f.mediaType);

const byId = <F extends { id: string }>(formats: readonly F[], id: F['id']): F => formats.find((f) => f.id === id)!;
const jsonTables = REQUEST_FORMATS.filter((f) => f.mediaType === 'application/json' && f.keys.length > 0);

/** Which JSON format a parsed body is in: by its keys; a body that names two formats is refused rather than half read. */
function jsonFormatOf(body: unknown): RequestFormat {
  if (!isPlainObject(body)) return byId(REQUEST_FORMATS, 'model-json');
  const named = jsonTables.filter((f) => f.keys.every((k) => Object.hasOwn(body, k)));
  if (named.length > 1 || (named.length === 1 && Object.hasOwn(body, 'instances'))) {
    const keys = [...named.map((f) => f.keys.join('" and "')), ...(Object.hasOwn(body, 'instances') ? ['instances'] : [])];
    throw new ValidationFailed(`the body holds "${keys.join('" and "')}": send one format`, [{ path: '', problem: 'holds two request formats' }]);
  }
  return named[0] ?? byId(REQUEST_FORMATS, 'model-json');
}

/** Every file type some kind takes as a whole body (image/png, ...): the predict routes read those as uploads. */
const FILE_TYPES = [...new Set(Object.values(KINDS).flatMap((kind) => kind.fileTypes))];
const listed = (types: readonly string[]) => (types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types.join(''));

/**
 * The predict routes' body, read by its media type: JSON (no Content-Type is
 * read as JSON) in any of its formats, CSV, a form (multipart/form-data), or
 * a file of a type some kind takes as the whole body; anything else 415.
 * Whether the model takes it is decided once the model is known
 * (assertTaken).
 */
export const predictBody: BodyFormat<PredictBody> = {
  readerFor(mediaType) {
    if (mediaType === undefined || isJsonType(mediaType)) {
      return (raw) => {
        const body = parseJson(textOf(raw));
        return jsonFormatOf(body).read(body);
      };
    }
    if (isCsvType(mediaType)) return (raw) => byId(REQUEST_FORMATS, 'csv').read(textOf(raw));
    if (mediaType === 'multipart/form-data') return readForm;
    if (FILE_TYPES.includes(mediaType)) return (raw) => ({ upload: { bytes: raw.bytes, mediaType, path: '' } });
    return null;
  },
  refusal: `Content-Type must be ${listed(['application/json', 'text/csv', 'multipart/form-data', ...FILE_TYPES])}`,
};

/** The media types a model takes on the predict routes, from its kind's declaration (the 415 answer and /openapi.json say these). */
export function mediaTypesTaken(manifest: Manifest): string[] {
  const kind = kindOf(manifest);
  return ['application/json', ...(kind.records ? ['text/csv'] : []), ...(kind.fileTypes.length > 0 ? [...kind.fileTypes, 'multipart/form-data'] : [])];
}

/**
 * Whether the model takes the body's media type and form, before it scores
 * anything: 415 naming what it takes; a DataFrame sent as JSON to a model
 * that takes no records, 400 (its media type is right, its shape is not).
 */
export function assertTaken(manifest: Manifest, body: PredictBody): void {
  const kind = kindOf(manifest);
  const taken = mediaTypesTaken(manifest);
  const mediaType = mediaTypeOfBody(body);
  // A model that takes neither records nor files takes tensors: say in which JSON.
  const tensorsOnly = !kind.records && kind.fileTypes.length === 0;
  const message = `the ${manifest.name} model takes ${listed(taken)}${tensorsOnly ? ': tensors as JSON, {"instances": [...]} or {"inputs": ...}' : ''}`;
  if ('table' in body && !kind.records) {
    if (mediaType !== 'application/json') throw new UnsupportedMediaType(`${message}, not ${mediaType}`);
    throw new ValidationFailed(`${message}; DataFrame bodies are for models that take records`, [{ path: '', problem: 'is a DataFrame body' }]);
  }
  if (('upload' in body || 'form' in body) && !taken.includes(mediaType)) throw new UnsupportedMediaType(`${message}, not ${mediaType}`);
}

/**
 * The answer format the client's Accept asks for: JSON without one, for
 * any wildcard, or when JSON is preferred; CSV for text/csv. An Accept that
 * admits neither is answered 406 rather than with JSON it did not ask for.
 */
export function answerFormatFor(accept: string | undefined): AnswerFormat {
  if (accept === undefined) return ANSWER_FORMATS[0]!;
  const chosen = negotiateMediaType(accept, ANSWER_MEDIA_TYPES);
  return ANSWER_FORMATS.find((f) => f.mediaType === chosen)!;
}

/** 406 when the model cannot answer in the chosen format (CSV from a model that answers tensors), before it scores anything. */
export function assertAnswerable(format: AnswerFormat, manifest: Manifest): void {
  if (!format.takes(manifest)) {
    throw new NotAcceptable(`the ${manifest.name} model answers tensors, which have no ${format.mediaType} form; ask for application/json`);
  }
}
