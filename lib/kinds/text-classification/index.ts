// onnxruntime-node's Tensor is onnxruntime-common's: from there, code that only builds tensors loads no native library (lib/tensors/datatypes.ts).
import { Tensor } from 'onnxruntime-common';
import { ValidationFailed } from '../../errors';
import type { KindFields, KindManifest } from '../../manifest/base';
import { shapeText } from '../../tensors/shape';
import { recordedRequest, type ModelKind } from '../kind';
import { argmax, floatOutput, roundProbability, rowOf } from '../records/outputs';
import { probabilitiesSchema, recordRuntime, recordsAnswerSchema, recordsRequestSchema } from '../records/runtime';
import { argmaxRows, labelCountSignals } from '../records/signals';

/**
 * A text's length as the predict route's schema counts it (Ajv's maxLength:
 * Unicode code points, an emoji one), so both routes take the same texts;
 * String.length counts UTF-16 units, an emoji two.
 */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

/** Text classification: one string per record into a string tensor [N]; a probability per label out. */
const manifestFields = {
  required: ['text', 'labels', 'output'],
  properties: {
    /** The request field holding the text; the graph expects it lower-cased. */
    text: {
      type: 'object',
      required: ['field', 'lowercase', 'maxLength'],
      properties: { field: { type: 'string', minLength: 1 }, lowercase: { type: 'boolean' }, maxLength: { type: 'integer', minimum: 1 } },
    },
    /** Class names in the column order of the output tensor. */
    labels: { type: 'array', minItems: 2, items: { type: 'string', minLength: 1 }, uniqueItems: true },
    output: {
      type: 'object',
      required: ['label', 'probabilities'],
      properties: { label: { type: 'string', minLength: 1 }, probabilities: { type: 'string', minLength: 1 } },
    },
  },
} as const satisfies KindFields;
export type TextClassificationManifest = KindManifest<'text-classification', typeof manifestFields>;

/**
 * The text the graph expects. Lower-cased here, not in the graph: ONNX's
 * StringNormalizer lower-cases one character at a time (İ and a final Σ come
 * out unlike Python's str.lower, which training used) and needs a locale this
 * machine lacks. NULs are spaces because onnxruntime cuts a string tensor's
 * element at the first NUL; scikit-learn's tokenizer treats both as a break.
 */
export function prepareText(text: string, lowercase: boolean): string {
  const clean = text.replace(/\0/g, ' ');
  return lowercase ? clean.toLowerCase() : clean;
}

function recordSchema(manifest: TextClassificationManifest): Record<string, unknown> {
  const { field, maxLength } = manifest.text;
  return { type: 'object', required: [field], properties: { [field]: { type: 'string', maxLength } } };
}

export const textClassification: ModelKind<TextClassificationManifest> = {
  summary: 'one text field into a string tensor [N]; the most likely label and every probability',
  records: true,
  goldenRequest: recordedRequest,
  fileTypes: [],
  manifestFields,

  check(manifest) {
    const [input, ...moreInputs] = manifest.onnx.inputs;
    const [output, ...moreOutputs] = manifest.onnx.outputs;
    if (!input || !output || moreInputs.length > 0 || moreOutputs.length > 0) return 'this kind takes a graph with one input and one output';
    if (input.datatype !== 'BYTES' || input.shape.length !== 1) return `input must be BYTES [N]; it is ${input.datatype} ${shapeText(input.shape)}`;
    if (output.datatype !== 'FP32' || output.shape.length !== 2 || output.shape[1] !== manifest.labels.length) {
      return `output must be FP32 [N, ${manifest.labels.length}] for ${manifest.labels.length} labels; it is ${output.datatype} ${shapeText(output.shape)}`;
    }
    return null;
  },

  requestSchema: (manifest) => recordsRequestSchema(recordSchema(manifest)),

  answerSchema(manifest) {
    const { label, probabilities } = manifest.output;
    return recordsAnswerSchema({
      type: 'object',
      required: [label, probabilities],
      properties: { [label]: { enum: manifest.labels }, [probabilities]: probabilitiesSchema(manifest.labels) },
    });
  },

  monitoring: (manifest) => ({
    fields: [{ name: manifest.text.field, type: 'text' }],
    outcome: { type: 'label', labels: manifest.labels, answer: { label: manifest.output.label, probabilities: manifest.output.probabilities } },
  }),

  describe: (manifest) => ({
    inputs: [{ name: manifest.text.field, type: 'text', maxLength: manifest.text.maxLength }],
    labels: manifest.labels,
    output: manifest.output,
  }),

  runtime(manifest) {
    const { field, lowercase } = manifest.text;
    const input = manifest.onnx.inputs[0]!.name;
    const output = manifest.onnx.outputs[0]!.name;
    const { labels } = manifest;
    return recordRuntime(manifest.name, {
      schema: recordSchema(manifest),
      fields: new Map([[field, 'text']]),
      checkedOutputs: [output],
      encode(records) {
        const texts = records.map((r) => prepareText(String(r[field]), lowercase));
        return { feeds: { [input]: new Tensor('string', texts, [texts.length]) }, notes: [] };
      },
      answers(outputs, count) {
        const data = floatOutput(outputs, output, count * labels.length);
        return Array.from({ length: count }, (_, i) => {
          const row = rowOf(data, count, i);
          const probabilities = Object.fromEntries(labels.map((l, j) => [l, roundProbability(row[j]!)]));
          return { [manifest.output.label]: labels[argmax(row)], [manifest.output.probabilities]: probabilities };
        });
      },
      signals: (outputs, count) => labelCountSignals(labels, argmaxRows(floatOutput(outputs, output, count * labels.length), count)),
      // The Open Inference Protocol route's strings: same limit, same preparation.
      prepareStrings(name, values) {
        if (values.some((v) => codePoints(v) > manifest.text.maxLength)) {
          throw new ValidationFailed(`input "${name}": BYTES data must be strings of at most ${manifest.text.maxLength} characters (Unicode code points)`);
        }
        return values.map((v) => prepareText(v, lowercase));
      },
    });
  },
};
