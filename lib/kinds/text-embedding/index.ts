import { PayloadTooLarge } from '../../errors';
import { specNamed, type KindFields, type KindManifest } from '../../manifest/base';
import { LAMBDA_PAYLOAD_BYTES } from '../../settings';
import { shapeText } from '../../tensors/shape';
import { recordedRequest, type Feeds, type ModelKind } from '../kind';
import { floatOutput } from '../records/outputs';
import { recordRuntime, recordsAnswerSchema, recordsRequestSchema } from '../records/runtime';
import { checkTokenInputs, describeText, textEncoder, textProperties, textRecordSchema } from '../transformer/text';

/**
 * A transformer feature extractor (BertModel, a sentence-transformers
 * export, as `optimum-cli export onnx --task feature-extraction` writes it):
 * one text per record, tokenized with the model's own tokenizer.json; one
 * embedding per record out, mean-pooled over the attention mask from
 * last_hidden_state [N, S, H], or a pooled [N, H] output as it is.
 */
const manifestFields = {
  required: ['text', 'tokenizer', 'output', 'dimension', 'normalize'],
  properties: {
    ...textProperties,
    /** The output read, and how: `mean` over the tokens of last_hidden_state [N, S, H]; `none` for a pooled [N, H] one (sentence_embedding). */
    output: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'pooling'],
      properties: { name: { type: 'string', minLength: 1 }, pooling: { enum: ['mean', 'none'] } },
    },
    /** Numbers per embedding (H). */
    dimension: { type: 'integer', minimum: 1 },
    /** Divide each embedding by its L2 norm (model:add --normalize), as sentence-transformers' Normalize does. */
    normalize: { type: 'boolean' },
  },
} as const satisfies KindFields;
export type TextEmbeddingManifest = KindManifest<'text-embedding', typeof manifestFields>;

/**
 * Embeddings are answered to 7 significant digits (float32 carries about
 * 7.2; the float64 expansion of a float32 would print 17). For |x| < 1e7 that
 * prints as at most 15 characters ("-0.000001234567"; smaller numbers switch
 * to "-1.234567e-7"), 16 with the comma: the estimate below.
 */
const round = (x: number): number => Number(x.toPrecision(7));
const NUMBER_BYTES = 16;
/**
 * A record's answer besides its numbers, as Lambda carries it (the body is a
 * JSON string inside the response, so its quotes are escaped):
 * `{\"embedding\":[` … `]},` is 20 bytes; 32 leaves room (a CSV row's quotes
 * and line break).
 */
const RECORD_BYTES = 32;
/** Lambda's response limit less room for the status, headers, `model`, and up to MAX_WARNINGS warnings. */
const ANSWER_BUDGET = LAMBDA_PAYLOAD_BYTES - 128 * 1024;

/** The most records whose embeddings fit in one answer. */
export function largestBatch(dimension: number): number {
  return Math.floor(ANSWER_BUDGET / (RECORD_BYTES + dimension * NUMBER_BYTES));
}

/** The 0/1 attention mask encode() fed, as numbers, [count, width]. */
function maskOf(feeds: Feeds): { mask: ArrayLike<number | bigint>; width: number } {
  const tensor = feeds.attention_mask!;
  return { mask: tensor.data as ArrayLike<number | bigint>, width: tensor.dims[1]! };
}

export const textEmbedding: ModelKind<TextEmbeddingManifest> = {
  summary: 'one text field, tokenized with the model’s tokenizer.json into input_ids [N, S]; one embedding per text (mean-pooled, optionally normalised)',
  records: true,
  goldenRequest: recordedRequest,
  fileTypes: [],
  manifestFields,

  check(manifest) {
    const inputs = checkTokenInputs(manifest.onnx.inputs);
    if (inputs) return inputs;
    const { name, pooling } = manifest.output;
    const output = specNamed(manifest.onnx.outputs, name);
    if (!output) return `the graph has no output "${name}"`;
    const rank = pooling === 'mean' ? 3 : 2;
    const last = output.shape[rank - 1];
    const want = pooling === 'mean' ? `[N, S, ${manifest.dimension}]` : `[N, ${manifest.dimension}]`;
    // A dynamic last dimension is taken at its manifest size, checked on every answer (floatOutput).
    if (output.datatype !== 'FP32' || output.shape.length !== rank || (typeof last === 'number' && last !== manifest.dimension)) {
      return `output "${name}" must be FP32 ${want} for pooling "${pooling}"; it is ${output.datatype} ${shapeText(output.shape)}`;
    }
    return null;
  },

  requestSchema: (manifest) => recordsRequestSchema(textRecordSchema(manifest)),

  answerSchema: (manifest) =>
    recordsAnswerSchema({
      type: 'object',
      required: ['embedding'],
      properties: { embedding: { type: 'array', minItems: manifest.dimension, maxItems: manifest.dimension, items: { type: 'number' } } },
    }),

  // The texts are profiled; an embedding is no outcome feedback could state.
  monitoring: (manifest) => ({ fields: [{ name: manifest.text.field, type: 'text' }] }),

  describe: (manifest) => ({
    ...describeText(manifest),
    dimension: manifest.dimension,
    pooling: manifest.output.pooling,
    normalize: manifest.normalize,
    largest_batch: largestBatch(manifest.dimension),
  }),

  runtime(manifest, files) {
    const encoder = textEncoder(manifest, files);
    const { dimension, normalize } = manifest;
    const { name, pooling } = manifest.output;
    const most = largestBatch(dimension);
    return recordRuntime(manifest.name, {
      schema: textRecordSchema(manifest),
      fields: new Map([[manifest.text.field, 'text']]),
      checkedOutputs: [name],
      encode(records) {
        // Before tokenizing and before the graph runs: the answer could not be sent.
        if (records.length > most) {
          throw new PayloadTooLarge(
            `${records.length} embeddings of ${dimension} numbers would pass Lambda's 6 MB response limit; at most ${most} records are answered per request by this model`,
          );
        }
        return encoder.encode(records);
      },
      answers(outputs, count, feeds) {
        const { mask, width } = maskOf(feeds);
        const data = floatOutput(outputs, name, pooling === 'mean' ? count * width * dimension : count * dimension);
        return Array.from({ length: count }, (_, i) => {
          const sum = new Float64Array(dimension);
          if (pooling === 'mean') {
            // The mean over the record's tokens (mask 1); padding rows of last_hidden_state are not meaningful.
            let tokens = 0;
            for (let j = 0; j < width; j++) {
              if (Number(mask[i * width + j]) === 0) continue;
              tokens++;
              const at = (i * width + j) * dimension;
              for (let k = 0; k < dimension; k++) sum[k]! += data[at + k]!;
            }
            for (let k = 0; k < dimension; k++) sum[k]! /= Math.max(tokens, 1);
          } else {
            sum.set(data.subarray(i * dimension, (i + 1) * dimension));
          }
          if (normalize) {
            // As torch.nn.functional.normalize: x / max(‖x‖, 1e-12).
            let squares = 0;
            for (let k = 0; k < dimension; k++) squares += sum[k]! * sum[k]!;
            const norm = Math.max(Math.sqrt(squares), 1e-12);
            for (let k = 0; k < dimension; k++) sum[k]! /= norm;
          }
          return { embedding: Array.from(sum, round) };
        });
      },
      // No drift figure of its own: an embedding's meaning is the model's (as a tensor model's).
      signals: () => [],
    });
  },
};
