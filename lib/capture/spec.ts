/**
 * What a kind tells monitoring about its models (README, "Monitoring"): the
 * input fields whose distribution is profiled and compared with the
 * baseline, and what an outcome is, so that feedback can be checked and
 * joined to predictions. Declared by each kind from its manifest alone (no
 * model is loaded to check feedback or to run the monitor).
 */

/** How a field's values are profiled: quantile bins, category frequencies, or a text's length and vocabulary share. */
export type FieldProfileType = 'numeric' | 'categorical' | 'text';

export interface MonitoredField {
  name: string;
  type: FieldProfileType;
}

/**
 * What the model predicts, as feedback must state it and as a captured
 * prediction is read: `answer` names the answer fields that hold it.
 * - `binary`: a yes/no outcome (true/false); `score` is the positive class's probability.
 * - `label`: one of `labels`; `probabilities` is the {label: probability} field.
 * - `value`: a number (a regressor).
 */
export type Outcome =
  | { type: 'binary'; answer: { label: string; score: string } }
  | { type: 'label'; labels: readonly string[]; answer: { label: string; probabilities: string } }
  | { type: 'value'; answer: { value: string } };

export interface MonitoringSpec {
  fields: readonly MonitoredField[];
  /** Absent: the model's answers are not predictions feedback can check (embeddings, tensors). */
  outcome?: Outcome;
}

/**
 * One scored record as the kind hands it to capture (and to the baseline
 * builder, which runs the same code): the record as the model took it
 * (validated and named as the manifest names its fields; for pictures and
 * tensors their summary) and its answer as the client got it.
 */
export interface ScoredRecord {
  input: Record<string, unknown>;
  answer: Record<string, unknown>;
}
