// onnxruntime-node's Tensor is onnxruntime-common's: from there, code that only builds tensors loads no native library (lib/tensors/datatypes.ts).
import { Tensor } from 'onnxruntime-common';
import { shorten } from '../../shorten';
import { FLOAT32_MAX } from '../../tensors/datatypes';
import { shapeText } from '../../tensors/shape';
import { recordedRequest, type ModelKind } from '../kind';
import { floatOutput, roundProbability } from '../records/outputs';
import { probabilitySchema, recordRuntime, recordsAnswerSchema, recordsRequestSchema } from '../records/runtime';
import { binarySignals } from '../records/signals';
import { columnNames, manifestFields, type BinaryClassificationManifest, type Feature } from './manifest';
import { createEncoder } from './one-hot-encoder';

function featureSchema(feature: Feature): Record<string, unknown> {
  if (feature.type === 'categorical') return { type: 'string', maxLength: 256 };
  // The encoder writes a float32 tensor: a number beyond its range would become Infinity.
  return {
    type: feature.integer ? 'integer' : 'number',
    minimum: Math.max(feature.minimum ?? -FLOAT32_MAX, -FLOAT32_MAX),
    maximum: Math.min(feature.maximum ?? FLOAT32_MAX, FLOAT32_MAX),
  };
}

function recordSchema(manifest: BinaryClassificationManifest): Record<string, unknown> {
  return {
    type: 'object',
    required: manifest.features.map((f) => f.name),
    properties: Object.fromEntries(manifest.features.map((f) => [f.name, featureSchema(f)])),
  };
}

export const binaryClassification: ModelKind<BinaryClassificationManifest> = {
  summary: 'tabular records one-hot encoded (DictVectorizer) into one float tensor; one probability and a label by threshold',
  records: true,
  goldenRequest: recordedRequest,
  fileTypes: [],
  manifestFields,

  check(manifest) {
    const columns = columnNames(manifest.features);
    if (columns.join('\n') !== manifest.columns.join('\n')) return 'features do not expand to the listed columns';
    const notNumeric = Object.keys(manifest.preprocessing?.missing_numbers ?? {}).find((name) => !manifest.features.some((f) => f.name === name && f.type === 'numeric'));
    if (notNumeric !== undefined) return `preprocessing.missing_numbers names "${notNumeric}", which is not a numeric feature`;
    const [input, ...moreInputs] = manifest.onnx.inputs;
    const [output, ...moreOutputs] = manifest.onnx.outputs;
    if (!input || !output || moreInputs.length > 0 || moreOutputs.length > 0) return 'this kind takes a graph with one input and one output';
    if (input.datatype !== 'FP32' || input.shape.length !== 2 || input.shape[1] !== columns.length) {
      return `input must be FP32 [N, ${columns.length}] for ${columns.length} columns; it is ${input.datatype} ${shapeText(input.shape)}`;
    }
    if (output.datatype !== 'FP32' || output.shape.length !== 2 || output.shape[1] !== 1) {
      return `output must be FP32 [N, 1]; it is ${output.datatype} ${shapeText(output.shape)}`;
    }
    return null;
  },

  requestSchema: (manifest) => recordsRequestSchema(recordSchema(manifest)),

  answerSchema(manifest) {
    const { probability, label } = manifest.output;
    return recordsAnswerSchema({ type: 'object', required: [probability, label], properties: { [probability]: probabilitySchema, [label]: { type: 'boolean' } } });
  },

  monitoring: (manifest) => ({
    fields: manifest.features.map((f) => ({ name: f.name, type: f.type })),
    outcome: { type: 'binary', answer: { label: manifest.output.label, score: manifest.output.probability } },
  }),

  describe: (manifest) => ({ inputs: manifest.features, output: manifest.output, ...(manifest.preprocessing ? { preprocessing: manifest.preprocessing } : {}) }),

  runtime(manifest) {
    const encoder = createEncoder(manifest.features, manifest.preprocessing?.text_values);
    const input = manifest.onnx.inputs[0]!.name;
    const output = manifest.onnx.outputs[0]!.name;
    const { probability, label, threshold } = manifest.output;
    return recordRuntime(manifest.name, {
      schema: recordSchema(manifest),
      fields: new Map(manifest.features.map((f) => [f.name, f.type === 'numeric' ? 'numeric' : 'text'] as const)),
      preprocessing: manifest.preprocessing,
      checkedOutputs: [output],
      encode(records) {
        const { data, unknownCategories } = encoder.encode(records);
        return {
          feeds: { [input]: new Tensor('float32', data, [records.length, encoder.width]) },
          notes: unknownCategories.map((u) => ({
            index: u.index,
            field: u.feature,
            problem: `unknown value "${shorten(u.value)}": not seen in training, so no ${u.feature} column is set`,
          })),
        };
      },
      answers(outputs, count) {
        const p = floatOutput(outputs, output, count);
        // A plain loop: Array.from over the Float32Array with a mapping function was six times slower for a batch of 1,000.
        const answers: Record<string, unknown>[] = [];
        for (let i = 0; i < count; i++) answers.push({ [probability]: roundProbability(p[i]!), [label]: p[i]! >= threshold });
        return answers;
      },
      signals: (outputs, count) => binarySignals(floatOutput(outputs, output, count), threshold),
    });
  },
};
