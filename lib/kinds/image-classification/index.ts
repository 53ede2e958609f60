// onnxruntime-node's Tensor is onnxruntime-common's: from there, code that only builds tensors loads no native library (lib/tensors/datatypes.ts).
import { Tensor } from 'onnxruntime-common';
import { ModelLoadError } from '../../errors';
import { pointer } from '../../json-pointer';
import type { TensorSpec } from '../../manifest/base';
import { traced } from '../../observability/tracing';
import { assertFinite } from '../../tensors/finite';
import { shapeText, type Dim } from '../../tensors/shape';
import { recordedRequest, unchangedStrings, type Feeds, type KindRuntime, type ModelKind, type Warning } from '../kind';
import { floatOutput, roundProbability, rowOf, softmax } from '../records/outputs';
import { probabilitySchema, recordsAnswerSchema } from '../records/runtime';
import { argmaxRows, labelCountSignals } from '../records/signals';
import { bytesSummary } from '../../capture/summary';
import { decodeImage, MAX_PIXELS, type Decoded, type PixelType } from './decode';
import { parseLabels } from '../labels';
import { IMAGE_TYPES, manifestFields, type ImageClassificationManifest } from './manifest';
import { assertPictureCount, base64Bytes, FORM_FIELD, readPictures, type Picture } from './request';

export type { ImageClassificationManifest } from './manifest';

/** The Open Inference Protocol's input for this kind: the encoded pictures, base64 in its JSON (README, "Images"). */
export const PROTOCOL_INPUT = FORM_FIELD;

const pixelTypeOf = (spec: TensorSpec): PixelType | null => (spec.datatype === 'FP32' ? 'float32' : spec.datatype === 'UINT8' ? 'uint8' : null);

/** The dims a batch of `count` pictures has in the manifest's layout. */
function batchDims(manifest: ImageClassificationManifest, count: number): number[] {
  const [height, width] = manifest.image.size as [number, number];
  return manifest.image.layout === 'NCHW' ? [count, 3, height, width] : [count, height, width, 3];
}

const fits = (dim: Dim | undefined, value: number) => typeof dim !== 'number' || dim === value;

/** The top k labels, most probable first (the lower index on a tie, as argmax). */
export function topLabels(labels: readonly string[], probabilities: readonly number[], k: number): { label: string; probabilities: Record<string, number> } {
  const order = probabilities.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const top = order.slice(0, Math.min(k, labels.length));
  return { label: labels[top[0]![1]]!, probabilities: Object.fromEntries(top.map(([p, i]) => [labels[i]!, roundProbability(p)])) };
}

function answerSchemaOf(labels: readonly string[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['label', 'probabilities'],
    properties: {
      label: { enum: labels },
      probabilities: { type: 'object', minProperties: 1, maxProperties: labels.length, propertyNames: { enum: labels }, additionalProperties: probabilitySchema },
    },
  };
}

const b64Schema = {
  type: 'object',
  required: ['b64'],
  properties: { b64: { type: 'string', contentEncoding: 'base64', description: 'the picture (JPEG, PNG, WebP or GIF) in base64' } },
};
const topKSchema = { type: 'integer', minimum: 1, description: 'how many labels to answer (more than there are: every label)' };

/** The labels a labels file lists must be the manifest's: an edited file or manifest makes the version refuse to load. */
function checkLabelsFile(manifest: ImageClassificationManifest, files: ReadonlyMap<string, Buffer>): void {
  if (manifest.labels_file === undefined) return;
  const bytes = files.get(manifest.labels_file);
  if (bytes === undefined) throw new ModelLoadError(`labels_file ${manifest.labels_file} is not among the manifest's files`);
  const parsed = parseLabels(bytes.toString('utf8'));
  if (!Array.isArray(parsed)) throw new ModelLoadError(`${manifest.labels_file} ${parsed.problem}`);
  if (parsed.join('\n') !== manifest.labels.join('\n')) throw new ModelLoadError(`${manifest.labels_file} lists other labels than model.json`);
}

export const imageClassification: ModelKind<ImageClassificationManifest> = {
  summary: 'a picture in (JPEG, PNG, WebP or GIF: raw, a form upload or base64), preprocessed as in training; the top labels and their probabilities',
  records: false,
  fileTypes: IMAGE_TYPES,
  manifestFields,
  goldenRequest: recordedRequest,

  check(manifest) {
    const { image, output, labels } = manifest;
    if (image.resize === 'shorter-crop' && image.shorter_side !== undefined && image.shorter_side < Math.max(...(image.size as number[]))) {
      return `image.shorter_side ${image.shorter_side} is smaller than the size ${image.size.join('×')}: the centre crop would leave the picture`;
    }
    const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
    if (repeated !== undefined) return `the label "${repeated}" is listed twice: each output column needs a label of its own`;
    const [input, ...others] = manifest.onnx.inputs;
    if (!input || others.length > 0 || input.name !== image.input) return `this kind takes a graph with one input, "${image.input}"`;
    if (pixelTypeOf(input) === null) return `input "${input.name}" must be FP32 or UINT8; it is ${input.datatype}`;
    const [height, width] = image.size as [number, number];
    const expected = batchDims(manifest, 1).slice(1);
    if (input.shape.length !== 4 || !expected.every((d, i) => fits(input.shape[i + 1], d))) {
      return `input "${input.name}" is ${shapeText(input.shape)}; ${image.layout} ${height}×${width} pictures need [N, ${expected.join(', ')}]`;
    }
    const spec = manifest.onnx.outputs.find((o) => o.name === output.name);
    if (!spec || spec.datatype !== 'FP32' || spec.shape.length !== 2 || !fits(spec.shape[1], labels.length)) {
      return `output "${output.name}" must be FP32 [N, ${labels.length}] for ${labels.length} labels${spec ? `; it is ${spec.datatype} ${shapeText(spec.shape)}` : ''}`;
    }
    return null;
  },

  requestSchema: () => ({
    oneOf: [
      { type: 'object', required: [FORM_FIELD], properties: { [FORM_FIELD]: b64Schema, top_k: topKSchema } },
      { type: 'object', required: ['instances'], properties: { instances: { type: 'array', minItems: 1, items: b64Schema }, top_k: topKSchema } },
    ],
  }),

  answerSchema: (manifest) => recordsAnswerSchema(answerSchemaOf(manifest.labels)),

  describe: (manifest) => ({
    input: {
      media_types: IMAGE_TYPES,
      form_field: FORM_FIELD,
      json: '{"image": {"b64": "..."}} or {"instances": [{"b64": "..."}, ...]}',
      max_pixels: MAX_PIXELS,
    },
    preprocessing: manifest.image,
    labels: manifest.labels,
    top_k: manifest.top_k,
    output: manifest.output,
  }),

  monitoring: (manifest) => ({ fields: [], outcome: { type: 'label', labels: manifest.labels, answer: { label: 'label', probabilities: 'probabilities' } } }),

  protocolInputs: () => [{ name: PROTOCOL_INPUT, datatype: 'BYTES', shape: [null] }],

  runtime(manifest, files): KindRuntime {
    checkLabelsFile(manifest, files);
    const { labels, image: prep } = manifest;
    const pixelType = pixelTypeOf(manifest.onnx.inputs[0]!)!;
    // Logits become probabilities by a softmax; probabilities stay as the graph gives them.
    const probabilitiesOf = manifest.output.activation === 'softmax' ? softmax : (row: ArrayLike<number>) => Array.from(row);
    const output = manifest.output.name;

    /** The pictures decoded into one batch tensor, and what decoding noted about each. */
    async function batchOf(pictures: readonly Picture[]): Promise<{ feeds: Feeds; warnings: Warning[]; summaries: Decoded['picture'][] }> {
      const warnings: Warning[] = [];
      const summaries: Decoded['picture'][] = [];
      const perPicture = batchDims(manifest, 1).slice(1).reduce((a, b) => a * b, 1);
      const data = pixelType === 'uint8' ? new Uint8Array(perPicture * pictures.length) : new Float32Array(perPicture * pictures.length);
      await traced('decode', async () => {
        for (const [i, picture] of pictures.entries()) {
          const decoded = await decodeImage(picture.bytes, prep, pixelType, picture);
          data.set(decoded.values, i * perPicture);
          summaries.push(decoded.picture);
          for (const note of decoded.notes) warnings.push({ path: picture.path, problem: note, record: i });
        }
      });
      return { feeds: { [prep.input]: new Tensor(pixelType, data, batchDims(manifest, pictures.length)) }, warnings, summaries };
    }

    return {
      async predict(body, run, parameters = {}) {
        const request = readPictures(body, parameters);
        const { feeds, warnings, summaries } = await batchOf(request.pictures);
        const outputs = await run(feeds, [output]);
        assertFinite(outputs, [output], (row) => request.pictures[row]?.path ?? '');
        const count = request.pictures.length;
        const k = request.topK ?? manifest.top_k;
        const values = floatOutput(outputs, output, count * labels.length);
        const answers = Array.from({ length: count }, (_, i) => topLabels(labels, probabilitiesOf(rowOf(values, count, i)), k));
        return {
          body: request.single ? { ...answers[0] } : { predictions: answers },
          warnings: [...request.warnings, ...warnings],
          records: count,
          signals: labelCountSignals(labels, argmaxRows(values, count)),
          // A picture is captured as its summary, never its bytes.
          scored: () => answers.map((answer, i) => ({ input: { [FORM_FIELD]: { ...summaries[i], ...bytesSummary(request.pictures[i]!.bytes) } }, answer })),
        };
      },
      async protocolFeeds(inputs) {
        const encoded = inputs.get(PROTOCOL_INPUT) ?? [];
        assertPictureCount(encoded.length, `input "${PROTOCOL_INPUT}"`);
        const pictures = encoded.map((value, i) => base64Bytes(value, pointer('inputs', 0, 'data', i), `picture ${i}`));
        return (await batchOf(pictures)).feeds;
      },
      signals: (outputs, count) => labelCountSignals(labels, argmaxRows(floatOutput(outputs, output, count * labels.length), count)),
      goldenView: (answer) => answer,
      prepareStrings: unchangedStrings,
    };
  },
};
