import { Tensor } from 'onnxruntime-node';
import type { BinaryClassificationManifest } from '../manifest';
import { shorten } from '../shorten';
import { createEncoder } from './one-hot-encoder';
import { recordFields, recordValidator } from './schemas';
import { floatOutput, roundProbability, splitRows, type Task } from './task';

/** Tabular records, one-hot encoded into a float tensor; one probability out. */
export function binaryClassification(manifest: BinaryClassificationManifest): Task {
  const encoder = createEncoder(manifest.features);
  const { input, output } = manifest.onnx;
  const { probability, label, threshold } = manifest.output;
  return {
    validate: recordValidator(manifest),
    fields: recordFields(manifest),
    encode(records) {
      const { data, unknownCategories } = encoder.encode(records);
      return {
        feeds: { [input.name]: new Tensor('float32', data, [records.length, encoder.width]) },
        notes: unknownCategories.map((u) => ({
          index: u.index,
          field: u.feature,
          problem: `unknown value "${shorten(u.value)}": not seen in training, so no ${u.feature} column is set`,
        })),
      };
    },
    answers(outputs, count) {
      const p = floatOutput(outputs, output.name, count);
      return Array.from(p, (value) => ({ [probability]: roundProbability(value), [label]: value >= threshold }));
    },
    rows: (outputs, count) => splitRows(floatOutput(outputs, output.name, count), count),
  };
}
