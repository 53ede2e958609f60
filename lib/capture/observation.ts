import { captured } from './summary';
import type { MonitoringSpec, Outcome, ScoredRecord } from './spec';
import { textFeatures, type TextFeatures } from './text-profile';

/**
 * One scored record as monitoring records it, for a capture line and for a
 * baseline alike (the same function, so the two are comparable): the input
 * without the fields the manifest marks `capture: false` and with long
 * values as their summaries, each text field's profile figures, the
 * prediction read from the answer as the kind's outcome says, and the answer.
 */
export interface Observation {
  input: Record<string, unknown>;
  /** Per text field: its length and vocabulary share (against the baseline's vocabulary). */
  features?: Record<string, TextFeatures>;
  prediction?: CapturedPrediction;
  output: unknown;
}

/** What serving a request hands to capture (./capture.ts): its records, observed only if the request is sampled. */
export interface CaptureSource {
  /** The first `limit` records, observed. */
  observations: (limit: number) => Observation[];
  /** Whether the body was a batch (records numbered) or one record. */
  batch: boolean;
}

/** A prediction as the monitor reads it, whatever the answer's field names. */
export interface CapturedPrediction {
  label?: string;
  /** The positive class's probability (binary), the top label's (label), absent for a value. */
  score?: number;
  /** Every label's probability, where the answer has them all (up to MAX_CAPTURED_LABELS). */
  probabilities?: Record<string, number>;
  value?: number;
}

/** What an observation needs of the model: its kind's spec, the fields never captured and the baseline's vocabularies. */
export interface ObservationContext {
  spec: MonitoringSpec;
  notCaptured: ReadonlySet<string>;
  vocabularies: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Labels beyond this many are not copied into a capture's prediction (an image model's thousand classes answer top-k anyway). */
export const MAX_CAPTURED_LABELS = 50;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function predictionOf(outcome: Outcome | undefined, answer: Record<string, unknown>): CapturedPrediction | undefined {
  if (outcome === undefined) return undefined;
  switch (outcome.type) {
    case 'binary': {
      const label = answer[outcome.answer.label];
      const score = answer[outcome.answer.score];
      return { ...(typeof label === 'boolean' ? { label: String(label) } : {}), ...(isNumber(score) ? { score } : {}) };
    }
    case 'label': {
      const label = answer[outcome.answer.label];
      const probabilities = answer[outcome.answer.probabilities];
      const prediction: CapturedPrediction = label === undefined ? {} : { label: String(label) };
      if (typeof probabilities === 'object' && probabilities !== null) {
        const entries = Object.entries(probabilities).filter((e): e is [string, number] => isNumber(e[1]));
        if (entries.length > 0) prediction.score = Math.max(...entries.map(([, p]) => p));
        if (entries.length === outcome.labels.length && entries.length <= MAX_CAPTURED_LABELS) prediction.probabilities = Object.fromEntries(entries);
      }
      return prediction;
    }
    case 'value': {
      const value = answer[outcome.answer.value];
      return isNumber(value) ? { value } : {};
    }
  }
}

export function observe(record: ScoredRecord, context: ObservationContext): Observation {
  const input: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record.input)) if (!context.notCaptured.has(field)) input[field] = captured(value);
  const features: Record<string, TextFeatures> = {};
  for (const field of context.spec.fields) {
    const value = record.input[field.name];
    if (field.type === 'text' && typeof value === 'string' && !context.notCaptured.has(field.name)) features[field.name] = textFeatures(value, context.vocabularies.get(field.name));
  }
  const prediction = predictionOf(context.spec.outcome, record.answer);
  return {
    input,
    ...(Object.keys(features).length > 0 ? { features } : {}),
    ...(prediction ? { prediction } : {}),
    output: captured(record.answer),
  };
}
