import { ValidationFailed } from '../../errors';
import { specNamed, type KindFields, type KindManifest, type TensorSpec } from '../../manifest/base';
import { elementSchema, float32Json, jsonElements, tensorFrom } from '../../tensors/datatypes';
import { shapeText } from '../../tensors/shape';
import { recordedRequest, type ModelKind } from '../kind';
import { argmax, floatOutput, roundProbability, rowOf } from '../records/outputs';
import { probabilitiesSchema, recordRuntime, recordsAnswerSchema, recordsRequestSchema } from '../records/runtime';
import { argmaxRows, labelCountSignals, meanSignal } from '../records/signals';
import { FLOAT_DATATYPES, isBatchVector, isColumn, LABEL_DATATYPES } from './signature';

/**
 * skl2onnx's one-input-per-column pipelines: every graph input is one column
 * [N, 1] named like the field of a record. A classifier answers a label and a
 * probability per class, a regressor a value.
 */
const manifestFields = {
  required: ['task', 'output'],
  properties: {
    task: { enum: ['classifier', 'regressor'] },
    /** Classifier: the class of each probability column, in order. */
    labels: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] }, uniqueItems: true },
    /** ONNX output names: the label and the [N, classes] probabilities, or the value. */
    output: {
      type: 'object',
      additionalProperties: false,
      properties: { label: { type: 'string' }, probabilities: { type: 'string' }, value: { type: 'string' } },
    },
  },
} as const satisfies KindFields;
export type TabularManifest = KindManifest<'tabular', typeof manifestFields>;

/** Longest text a BYTES column takes. */
const MAX_TEXT = 10_000;

function columnSchema(spec: TensorSpec): Record<string, unknown> {
  return spec.datatype === 'BYTES' ? { type: 'string', maxLength: MAX_TEXT } : elementSchema(spec.datatype);
}

function recordSchema(manifest: TabularManifest): Record<string, unknown> {
  return {
    type: 'object',
    required: manifest.onnx.inputs.map((i) => i.name),
    properties: Object.fromEntries(manifest.onnx.inputs.map((i) => [i.name, columnSchema(i)])),
  };
}

function checkOutputs(manifest: TabularManifest): string | null {
  const { outputs } = manifest.onnx;
  if (manifest.task === 'regressor') {
    const value = manifest.output.value === undefined ? undefined : specNamed(outputs, manifest.output.value);
    if (!value || !FLOAT_DATATYPES.includes(value.datatype) || !isBatchVector(value.shape, 1)) {
      return 'a regressor needs output.value naming a float output [N, 1]';
    }
    return null;
  }
  const labels = manifest.labels ?? [];
  if (labels.length < 2) return 'a classifier needs at least two labels';
  const probabilities = manifest.output.probabilities === undefined ? undefined : specNamed(outputs, manifest.output.probabilities);
  if (!probabilities || !FLOAT_DATATYPES.includes(probabilities.datatype) || !isBatchVector(probabilities.shape, labels.length)) {
    return `a classifier needs output.probabilities naming a float output [N, ${labels.length}]`;
  }
  if (manifest.output.label !== undefined) {
    const label = specNamed(outputs, manifest.output.label);
    if (!label || !LABEL_DATATYPES.includes(label.datatype)) return 'output.label must name a string or integer output';
  }
  return null;
}

export const tabular: ModelKind<TabularManifest> = {
  summary: 'one graph input per column [N, 1] (skl2onnx pipelines); a record {column: value} in, a label and probabilities or a value out',
  records: true,
  goldenRequest: recordedRequest,
  fileTypes: [],
  manifestFields,

  check(manifest) {
    const notColumn = manifest.onnx.inputs.find((i) => !isColumn(i.shape));
    if (notColumn) return `input "${notColumn.name}" is ${shapeText(notColumn.shape)}; every input of a tabular model is a column [N, 1]`;
    return checkOutputs(manifest);
  },

  requestSchema: (manifest) => recordsRequestSchema(recordSchema(manifest)),

  answerSchema(manifest) {
    if (manifest.task === 'regressor') return recordsAnswerSchema({ type: 'object', required: ['value'], properties: { value: { type: 'number' } } });
    const labels = manifest.labels ?? [];
    // The label is the graph's label output when it has one (its own JSON type), else one of the labels.
    const label = manifest.output.label === undefined ? { enum: labels } : { type: ['string', 'integer'] };
    return recordsAnswerSchema({ type: 'object', required: ['label', 'probabilities'], properties: { label, probabilities: probabilitiesSchema(labels) } });
  },

  monitoring: (manifest) => ({
    fields: manifest.onnx.inputs.map((i) => ({ name: i.name, type: i.datatype === 'BYTES' || i.datatype === 'BOOL' ? 'categorical' : 'numeric' })),
    outcome:
      manifest.task === 'regressor'
        ? { type: 'value', answer: { value: 'value' } }
        : { type: 'label', labels: (manifest.labels ?? []).map(String), answer: { label: 'label', probabilities: 'probabilities' } },
  }),

  describe: (manifest) => ({
    inputs: manifest.onnx.inputs.map((i) => ({ name: i.name, datatype: i.datatype, schema: columnSchema(i) })),
    task: manifest.task,
    ...(manifest.task === 'classifier' ? { labels: manifest.labels } : {}),
    answer: manifest.task === 'classifier' ? { label: 'the predicted class', probabilities: '{class: probability}' } : { value: 'the predicted value' },
  }),

  runtime(manifest) {
    const { inputs } = manifest.onnx;
    const labels = manifest.labels ?? [];
    const { label, probabilities, value } = manifest.output;
    const floatJson = (spec: TensorSpec | undefined) => (spec?.datatype === 'FP32' ? float32Json : (x: number) => x);
    const valueJson = floatJson(value === undefined ? undefined : specNamed(manifest.onnx.outputs, value));
    return recordRuntime(manifest.name, {
      schema: recordSchema(manifest),
      fields: new Map(inputs.map((i) => [i.name, i.datatype === 'BYTES' ? 'text' : i.datatype === 'BOOL' ? 'boolean' : 'numeric'] as const)),
      checkedOutputs: [probabilities, value].filter((name): name is string => name !== undefined),
      encode(records) {
        const feeds = Object.fromEntries(inputs.map((i) => [i.name, tensorFrom(i.datatype, records.map((r) => r[i.name]), [records.length, 1])]));
        return { feeds, notes: [] };
      },
      answers(outputs, count) {
        if (manifest.task === 'regressor') {
          return Array.from(floatOutput(outputs, value!, count), (v) => ({ value: valueJson(v) }));
        }
        const p = floatOutput(outputs, probabilities!, count * labels.length);
        const predicted = label === undefined ? undefined : jsonElements(outputs[label]!);
        return Array.from({ length: count }, (_, i) => {
          const row = rowOf(p, count, i);
          return {
            label: predicted ? predicted[i] : labels[argmax(row)],
            probabilities: Object.fromEntries(labels.map((l, j) => [String(l), roundProbability(row[j]!)])),
          };
        });
      },
      signals(outputs, count) {
        if (manifest.task === 'regressor') return meanSignal(floatOutput(outputs, value!, count));
        return labelCountSignals(labels, argmaxRows(floatOutput(outputs, probabilities!, count * labels.length), count));
      },
      prepareStrings(input, values) {
        if (values.some((v) => v.length > MAX_TEXT)) throw new ValidationFailed(`input "${input}": BYTES data must be strings of at most ${MAX_TEXT} characters`);
        return values;
      },
    });
  },
};
