import type { ValidateFunction } from 'ajv';
import type { InferenceSession, Tensor } from 'onnxruntime-node';

/** A record that passed validation: every field present with the right type. */
export type FeatureRecord = Readonly<Record<string, unknown>>;

/** Something about one record that did not stop it being scored. */
export interface RecordNote {
  /** Position of the record in the batch. */
  index: number;
  field: string;
  problem: string;
}

export interface Encoded {
  feeds: Record<string, Tensor>;
  notes: RecordNote[];
}

/**
 * What differs between kinds of model: how records are validated and
 * encoded into the graph's input, and how its output becomes an answer.
 * Built once per loaded model from its manifest.
 */
export interface Task {
  /** Validates one record against the schema derived from the manifest. */
  readonly validate: ValidateFunction;
  /** The fields a record may carry; numeric ones also accept numeric text. */
  readonly fields: ReadonlyMap<string, 'numeric' | 'text'>;
  encode(records: readonly FeatureRecord[]): Encoded;
  /** One answer per record, e.g. {churn_probability, churn} or {intent, probabilities}. */
  answers(outputs: InferenceSession.OnnxValueMapType, count: number): Record<string, unknown>[];
  /** The raw output row of each record, for parity checks against the training library. */
  rows(outputs: InferenceSession.OnnxValueMapType, count: number): number[][];
}

/**
 * Probabilities come out of the graphs as float32 (about seven significant
 * digits); printing the float64 expansion (0.6700000166893005) would claim
 * precision the model does not have. Seven decimals, not seven significant
 * digits: the same for the probabilities that matter, and Math.round is
 * ~50x cheaper than toPrecision, which showed in the batch profile.
 */
export function roundProbability(p: number): number {
  return Math.round(p * 1e7) / 1e7;
}

/** The named output as a float32 array of exactly `length` values. */
export function floatOutput(outputs: InferenceSession.OnnxValueMapType, name: string, length: number): Float32Array {
  const data = outputs[name]?.data;
  if (!(data instanceof Float32Array) || data.length !== length) {
    throw new Error(`the graph's output "${name}" is not a float32 tensor of ${length} values`);
  }
  return data;
}

export function splitRows(data: Float32Array, count: number): number[][] {
  const width = data.length / count;
  return Array.from({ length: count }, (_, i) => Array.from(data.subarray(i * width, (i + 1) * width)));
}
