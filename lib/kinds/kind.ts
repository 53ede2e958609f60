import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ErrorDetail } from '../errors';
import type { GoldenCase, KindFields, ManifestBase } from '../manifest/base';
import type { Signal } from '../observability/request-facts';

export type Feeds = Record<string, Tensor>;
export type Outputs = InferenceSession.OnnxValueMapType;
/** Runs the model's session; output names select a subset (all when omitted). */
export type RunGraph = (feeds: Feeds, outputNames?: readonly string[]) => Promise<Outputs>;

/** A problem that did not stop the request; `record` is the batch position of the record it concerns, absent when it concerns the request as a whole. */
export interface Warning extends ErrorDetail {
  record?: number;
}

/**
 * The records of a request before validation, whatever format they came in:
 * our JSON (one record or {"instances": [...]}, read by jsonBatch below) or a
 * table (CSV, pandas split, MLflow's dataframe_split and dataframe_records,
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
  /** The media type it came in, for a kind that takes no records to refuse it with the right status. */
  mediaType: 'application/json' | 'text/csv';
}

/**
 * A predict request's body as a kind receives it: JSON in one of the kind's
 * own shapes (a record or {"instances"}; a tensor kind's row and columnar
 * formats), or records read from a table (CSV, pandas, MLflow) by
 * lib/protocols/rest/formats.
 */
export type PredictBody = { json: unknown } | { table: RecordBatch };

export interface Prediction {
  /** The answer body without the model reference, which the route adds. */
  body: Record<string, unknown>;
  /** Problems that did not stop the request (fields ignored, unknown categories). */
  warnings: Warning[];
  /** Each record's answer, in order, for answer formats with a row per record (CSV); kinds whose answers are tensors have none. */
  answers?: Record<string, unknown>[];
  /** Records (or tensor rows) scored. */
  records: number;
  signals: Signal[];
}

/** One loaded model's kind-specific behaviour, built once from its manifest. */
export interface KindRuntime {
  /**
   * POST /models/{name}/predict: validates the body (ValidationFailed, 400,
   * naming each field), encodes it, runs the graph once and shapes the
   * answer. Non-finite outputs are refused (NonFiniteOutput, 422).
   */
  predict(body: PredictBody, run: RunGraph): Promise<Prediction>;
  /** The predict request a golden case stands for. */
  goldenRequest(golden: GoldenCase): unknown;
  /** What a golden case records of an answer (a large tensor: a sample of it). */
  goldenView(answer: Record<string, unknown>): unknown;
  /**
   * What the kind reads from a batch's outputs for drift metrics: computed on
   * the graph's outputs, so the Open Inference Protocol route gets the same
   * figures as predict. `count` is the batch's row count.
   */
  signals(outputs: Outputs, count: number): Signal[];
  /** Strings bound for the graph, prepared as this kind's predict route prepares them (the Open Inference Protocol route uses it). */
  prepareStrings(input: string, values: string[]): string[];
}

/**
 * Everything about one kind of model, in its own folder. The table in
 * ./index.ts lists every kind with the type that makes the compiler name a
 * missing piece; nothing outside a kind's folder asks which kind a model is.
 */
export interface ModelKind<M extends ManifestBase> {
  /** One line for /models, the docs and model:add. */
  readonly summary: string;
  /**
   * Whether the kind takes records and answers one per record: then every
   * request format (CSV, pandas, MLflow) and answer format (CSV) of
   * lib/protocols/rest/formats applies; otherwise only the kind's own JSON.
   */
  readonly records: boolean;
  /** The JSON schema of the kind's own manifest fields, written `as const`: M is derived from it (KindManifest). */
  readonly manifestFields: KindFields;
  /** Whether the kind's fields agree with the graph's signature (manifest.onnx); the problem, or null. */
  check(manifest: M): string | null;
  /** The JSON schema of a predict request body (published by GET /models/{name}). */
  requestSchema(manifest: M): Record<string, unknown>;
  /**
   * The JSON schema of a predict answer body as the kind shapes it, before
   * the route adds `model` and `warnings` (published in /openapi.json).
   */
  answerSchema(manifest: M): Record<string, unknown>;
  /** GET /models/{name}: the kind's account of what to send and what comes back. */
  describe(manifest: M): Record<string, unknown>;
  runtime(manifest: M): KindRuntime;
}

/** The strings a kind that does not prepare text passes through unchanged. */
export const unchangedStrings = (_input: string, values: string[]): string[] => values;
