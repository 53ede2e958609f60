import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { PredictBody, Warning } from '../bodies/types';
import type { CompanionFiles, GoldenCase, KindFields, ManifestBase, TensorSpec } from '../manifest/base';
import type { MonitoringSpec, ScoredRecord } from '../capture/spec';
import type { Signal } from '../observability/request-facts';

export type Feeds = Record<string, Tensor>;
export type Outputs = InferenceSession.OnnxValueMapType;
/** Runs the model's session; output names select a subset (all when omitted). */
export type RunGraph = (feeds: Feeds, outputNames?: readonly string[]) => Promise<Outputs>;

export type { PredictBody, RecordBatch, Upload, Form, Warning } from '../bodies/types';

/** What a request says about how to answer besides its body: the query string's parameters (top_k). */
export type Parameters = Readonly<Record<string, string | undefined>>;

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
  /**
   * Each record as the model took it and its answer, for capture (README,
   * "Monitoring"); a function, so that a request that is not captured pays
   * nothing for it.
   */
  scored: () => ScoredRecord[];
}

/** One loaded model's kind-specific behaviour, built once from its manifest. */
export interface KindRuntime {
  /**
   * POST /models/{name}/predict: validates the body (ValidationFailed, 400,
   * naming each field), encodes it, runs the graph once and shapes the
   * answer. Non-finite outputs are refused (NonFiniteOutput, 422).
   */
  predict(body: PredictBody, run: RunGraph, parameters?: Parameters): Promise<Prediction>;
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
  /**
   * For a kind whose protocol inputs are not the graph's (ModelKind.protocolInputs):
   * the graph's feeds from the Open Inference Protocol's inputs, each's
   * elements in order by name, already checked against protocolInputs.
   */
  protocolFeeds?(inputs: ReadonlyMap<string, readonly unknown[]>): Promise<Feeds>;
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
  /**
   * The media types of the files the kind takes, as the whole body
   * (Content-Type: image/png) or as a form's file field (multipart/form-data);
   * empty: JSON only (and the table formats, with `records`). The 415
   * answer, /openapi.json's request bodies and the docs page are derived
   * from it (lib/protocols/rest/formats).
   */
  readonly fileTypes: readonly string[];
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
  /**
   * The inputs the Open Inference Protocol takes and /v2/models/{name}
   * advertises, when they are not the graph's own (an image model takes
   * the encoded pictures as BYTES); its runtime's protocolFeeds turns them
   * into the graph's.
   */
  protocolInputs?(manifest: M): TensorSpec[];
  /** The input fields monitoring profiles and what feedback states (lib/monitoring/spec.ts). */
  monitoring(manifest: M): MonitoringSpec;
  /** GET /models/{name}: the kind's account of what to send and what comes back. */
  describe(manifest: M): Record<string, unknown>;
  /**
   * The loaded model's behaviour, from its manifest and its companion files
   * (the manifest's `files`, verified: labels, a tokenizer). ModelLoadError
   * for a file it cannot use.
   */
  runtime(manifest: M, files: CompanionFiles): KindRuntime;
  /** The JSON predict body a golden case without a content_type stands for (a tensor kind generates it from the case's seed). */
  goldenRequest(manifest: M, golden: GoldenCase): unknown;
}

/** The strings a kind that does not prepare text passes through unchanged. */
export const unchangedStrings = (_input: string, values: string[]): string[] => values;

/**
 * The JSON of a body, for a kind that takes JSON only: the predict routes
 * let no other body reach it (lib/protocols/rest/formats, assertTaken), so
 * anything else is this code's mistake, not the client's.
 */
export function jsonOf(body: PredictBody): unknown {
  if ('json' in body) return body.json;
  throw new Error(`a ${'table' in body ? 'table' : 'file'} body reached a kind that takes JSON only`);
}

/** A record kind's golden request: the body as recorded. */
export const recordedRequest = (_manifest: unknown, golden: GoldenCase): unknown => golden.request;
