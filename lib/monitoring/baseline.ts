import { predictionOf } from '../capture/observation';
import { categoricalProfile, emptyCategorical, emptyNumeric, addCategory, addNumber, numericProfile, SCORE_EDGES, type CategoricalSketch, type NumericSketch } from './sketch';
import type { MonitoringSpec, Outcome, ScoredRecord } from '../capture/spec';
import { vocabularyOf, vocabularyShare } from '../capture/text-profile';

/**
 * A model version's baseline (README, "Monitoring"): the profile of every
 * monitored input field and of the predictions on the data the model was
 * trained on, which the monitor compares each window of captures with.
 * Written by `npm run model:baseline` (and model:add --baseline, and the
 * bundled models' training scripts) as `baseline.json` in the version's
 * folder, listed in the manifest's `files` with its sha256, so it is
 * verified when the model loads like every other file of the version.
 */

export const BASELINE_FILE = 'baseline.json';
export const BASELINE_FORMAT = 'baseline/1';
/**
 * A text's vocabulary share in the baseline is measured out of fold: each
 * fifth of the texts against the vocabulary of the other four. Against the
 * vocabulary of all of them every training text would score 1, and any new
 * message, however ordinary, would look like drift.
 */
export const VOCABULARY_FOLDS = 5;

export type FieldBaseline =
  | { name: string; type: 'numeric'; sketch: NumericSketch }
  | { name: string; type: 'categorical'; sketch: CategoricalSketch }
  | { name: string; type: 'text'; length: NumericSketch; vocabulary_share: NumericSketch; vocabulary: string[] };

export interface PredictionBaseline {
  count: number;
  /** The positive class's probability (binary) or the top label's, in tenths. */
  score?: NumericSketch;
  labels?: CategoricalSketch;
  value?: NumericSketch;
}

export interface Baseline {
  format: typeof BASELINE_FORMAT;
  model: string;
  version: string;
  created: string;
  /** Where the records came from (a file's name and sha256, or the training split), and how many. */
  source: { name: string; records: number; sha256?: string };
  fields: FieldBaseline[];
  prediction: PredictionBaseline;
  /** The kind's outcome when the baseline was made, so the monitor needs no manifest to read feedback. */
  outcome?: Outcome;
}

/** The labels a prediction's label sketch counts. */
export function outcomeLabels(outcome: Outcome | undefined): string[] | undefined {
  if (outcome?.type === 'binary') return ['false', 'true'];
  if (outcome?.type === 'label') return [...outcome.labels].map(String);
  return undefined;
}

/** An empty prediction profile over the baseline's bins (a window's, before its captures are added). */
export function emptyPrediction(baseline: PredictionBaseline): PredictionBaseline {
  return {
    count: 0,
    ...(baseline.score ? { score: emptyNumeric(baseline.score.edges) } : {}),
    ...(baseline.labels ? { labels: emptyCategorical(Object.keys(baseline.labels.counts)) } : {}),
    ...(baseline.value ? { value: emptyNumeric(baseline.value.edges) } : {}),
  };
}

/**
 * The baseline of scored records: each observed as a capture would observe
 * it (the same fields left out, the same summaries), then profiled.
 */
export function buildBaseline(
  records: readonly ScoredRecord[],
  spec: MonitoringSpec,
  notCaptured: ReadonlySet<string>,
  meta: { model: string; version: string; source: Baseline['source']; created?: string },
): Baseline {
  const fields: FieldBaseline[] = [];
  for (const field of spec.fields) {
    if (notCaptured.has(field.name)) continue;
    const values = records.map((r) => r.input[field.name]);
    if (field.type === 'numeric') fields.push({ name: field.name, type: 'numeric', sketch: numericProfile(values) });
    else if (field.type === 'categorical') fields.push({ name: field.name, type: 'categorical', sketch: categoricalProfile(values) });
    else {
      const texts = values.map((v) => (typeof v === 'string' ? v : ''));
      const folds = Array.from({ length: VOCABULARY_FOLDS }, (_, k) => new Set(vocabularyOf(texts.filter((_, i) => i % VOCABULARY_FOLDS !== k))));
      fields.push({
        name: field.name,
        type: 'text',
        length: numericProfile(values.map((v) => (typeof v === 'string' ? [...v].length : undefined))),
        vocabulary_share: numericProfile(values.map((v, i) => (typeof v === 'string' ? vocabularyShare(v, folds[i % VOCABULARY_FOLDS]!) : undefined))),
        vocabulary: vocabularyOf(texts),
      });
    }
  }
  const predictions = records.map((r) => predictionOf(spec.outcome, r.answer));
  const labels = outcomeLabels(spec.outcome);
  const prediction: PredictionBaseline = { count: records.length };
  if (spec.outcome?.type === 'value') prediction.value = numericProfile(predictions.map((p) => p?.value));
  else if (spec.outcome !== undefined) {
    prediction.score = emptyNumeric(SCORE_EDGES);
    prediction.labels = emptyCategorical(labels ?? []);
    for (const p of predictions) {
      addNumber(prediction.score, p?.score);
      addCategory(prediction.labels, p?.label);
    }
  }
  return {
    format: BASELINE_FORMAT,
    model: meta.model,
    version: meta.version,
    created: meta.created ?? new Date().toISOString(),
    source: meta.source,
    fields,
    prediction,
    ...(spec.outcome ? { outcome: spec.outcome } : {}),
  };
}

/** The vocabularies of a baseline's text fields, for the capture of text features. */
export function vocabulariesOf(baseline: Baseline | undefined): Map<string, ReadonlySet<string>> {
  const vocabularies = new Map<string, ReadonlySet<string>>();
  for (const field of baseline?.fields ?? []) if (field.type === 'text') vocabularies.set(field.name, new Set(field.vocabulary));
  return vocabularies;
}

/**
 * A baseline file's contents, or the reason it cannot be used. Its bytes
 * were checked against the manifest's sha256 before this reads them, so
 * only the shape that the code relies on is checked here.
 */
export function parseBaseline(bytes: Buffer): Baseline | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return `${BASELINE_FILE} is not JSON`;
  }
  const b = value as Partial<Baseline> | null;
  if (typeof b !== 'object' || b === null || b.format !== BASELINE_FORMAT) return `${BASELINE_FILE} is not a ${BASELINE_FORMAT} file (npm run model:baseline writes one)`;
  if (!Array.isArray(b.fields) || typeof b.prediction !== 'object' || b.prediction === null) return `${BASELINE_FILE} has no fields or prediction profile`;
  return b as Baseline;
}
