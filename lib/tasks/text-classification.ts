import { Tensor } from 'onnxruntime-node';
import type { TextClassificationManifest } from '../manifest';
import { recordFields, recordValidator } from './schemas';
import { floatOutput, roundProbability, splitRows, type Task } from './task';

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

/** One string per record into a string tensor [N]; a probability per label out. */
export function textClassification(manifest: TextClassificationManifest): Task {
  const { field, lowercase } = manifest.text;
  const { input, output } = manifest.onnx;
  const labels = manifest.labels;
  return {
    validate: recordValidator(manifest),
    fields: recordFields(manifest),
    encode(records) {
      const texts = records.map((r) => prepareText(String(r[field]), lowercase));
      return { feeds: { [input.name]: new Tensor('string', texts, [texts.length]) }, notes: [] };
    },
    answers(outputs, count) {
      return splitRows(floatOutput(outputs, output.name, count * labels.length), count).map((row) => {
        let best = 0;
        row.forEach((p, i) => {
          if (p > row[best]!) best = i;
        });
        const probabilities = Object.fromEntries(labels.map((l, i) => [l, roundProbability(row[i]!)]));
        return { [manifest.output.label]: labels[best], [manifest.output.probabilities]: probabilities };
      });
    },
    rows: (outputs, count) => splitRows(floatOutput(outputs, output.name, count * labels.length), count),
  };
}
