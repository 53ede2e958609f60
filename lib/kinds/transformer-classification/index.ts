import { specNamed, type KindFields, type KindManifest } from '../../manifest/base';
import { shapeText } from '../../tensors/shape';
import { recordedRequest, type ModelKind } from '../kind';
import { argmax, floatOutput, roundProbability, rowOf, softmax } from '../records/outputs';
import { probabilitiesSchema, recordRuntime, recordsAnswerSchema, recordsRequestSchema } from '../records/runtime';
import { argmaxRows, labelCountSignals } from '../records/signals';
import { checkTokenInputs, describeText, textEncoder, textProperties, textRecordSchema } from '../transformer/text';

/**
 * A transformer sequence classifier (BertForSequenceClassification and its
 * kin, as `optimum-cli export onnx --task text-classification` writes it):
 * one text per record, tokenized with the model's own tokenizer.json; the
 * top label and a probability per label out.
 */
const manifestFields = {
  required: ['text', 'tokenizer', 'labels', 'output'],
  properties: {
    ...textProperties,
    /** Class names in the order of the output's columns (config.json's id2label). */
    labels: { type: 'array', minItems: 2, items: { type: 'string', minLength: 1 }, uniqueItems: true },
    /** The [N, labels] output, and whether it holds logits (a softmax makes them probabilities) or probabilities already. */
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'scores'],
      properties: { name: { type: 'string', minLength: 1 }, scores: { enum: ['logits', 'probabilities'] } },
    },
  },
} as const satisfies KindFields;
export type TransformerClassificationManifest = KindManifest<'transformer-classification', typeof manifestFields>;

export const transformerClassification: ModelKind<TransformerClassificationManifest> = {
  summary: 'one text field, tokenized with the model’s tokenizer.json into input_ids [N, S]; the most likely label and every probability',
  records: true,
  goldenRequest: recordedRequest,
  fileTypes: [],
  manifestFields,

  check(manifest) {
    const inputs = checkTokenInputs(manifest.onnx.inputs);
    if (inputs) return inputs;
    const output = specNamed(manifest.onnx.outputs, manifest.output.name);
    const classes = manifest.labels.length;
    if (!output) return `the graph has no output "${manifest.output.name}"`;
    if (output.datatype !== 'FP32' || output.shape.length !== 2 || output.shape[1] !== classes) {
      return `output "${output.name}" must be FP32 [N, ${classes}] for ${classes} labels; it is ${output.datatype} ${shapeText(output.shape)}`;
    }
    return null;
  },

  requestSchema: (manifest) => recordsRequestSchema(textRecordSchema(manifest)),

  answerSchema: (manifest) =>
    recordsAnswerSchema({
      type: 'object',
      required: ['label', 'probabilities'],
      properties: { label: { enum: manifest.labels }, probabilities: probabilitiesSchema(manifest.labels) },
    }),

  monitoring: (manifest) => ({
    fields: [{ name: manifest.text.field, type: 'text' }],
    outcome: { type: 'label', labels: manifest.labels, answer: { label: 'label', probabilities: 'probabilities' } },
  }),

  describe: (manifest) => ({ ...describeText(manifest), labels: manifest.labels, output: { label: 'label', probabilities: 'probabilities' } }),

  runtime(manifest, files) {
    const encoder = textEncoder(manifest, files);
    const { labels } = manifest;
    const { name, scores } = manifest.output;
    const probabilitiesOf = scores === 'logits' ? softmax : (row: ArrayLike<number>) => Array.from(row);
    const rows = (outputs: Parameters<typeof floatOutput>[0], count: number) => floatOutput(outputs, name, count * labels.length);
    return recordRuntime(manifest.name, {
      schema: textRecordSchema(manifest),
      fields: new Map([[manifest.text.field, 'text']]),
      checkedOutputs: [name],
      encode: encoder.encode,
      answers(outputs, count) {
        const data = rows(outputs, count);
        return Array.from({ length: count }, (_, i) => {
          const p = probabilitiesOf(rowOf(data, count, i));
          return { label: labels[argmax(p)], probabilities: Object.fromEntries(labels.map((l, j) => [l, roundProbability(p[j]!)])) };
        });
      },
      // The argmax of logits is that of their softmax: the same counts from the Open Inference Protocol route's raw outputs.
      signals: (outputs, count) => labelCountSignals(labels, argmaxRows(rows(outputs, count), count)),
    });
  },
};
