// onnxruntime-node's Tensor is onnxruntime-common's: from there, code that only builds tensors loads no native library (lib/tensors/datatypes.ts).
import { Tensor } from 'onnxruntime-common';
import type { JSONSchema } from 'json-schema-to-ts';
import { ValidationFailed } from '../../errors';
import type { CompanionFiles, TensorSpec } from '../../manifest/base';
import { shapeText } from '../../tensors/shape';
import type { Feeds } from '../kind';
import type { FeatureRecord } from '../records/request';
import type { RecordNote } from '../records/runtime';
import { textTokenizer, type Encoded, type TextTokenizer } from './tokenize';

/**
 * What the transformer text kinds (transformer-classification,
 * text-embedding) share: a text field per record, the tokenizer files, and
 * the graph's token inputs (input_ids, attention_mask, token_type_ids, as
 * `optimum-cli export onnx` names them), fed padded per batch.
 */

/** The manifest fields both kinds have, spread into each kind's own `as const` schema. */
export const textProperties = {
  /** The request field holding the text, and the longest text taken (Unicode code points; tokens past the model's length are cut, with a warning). */
  text: {
    type: 'object',
    additionalProperties: false,
    required: ['field', 'maxLength'],
    properties: { field: { type: 'string', minLength: 1 }, maxLength: { type: 'integer', minimum: 1 } },
  },
  /** The companion files of the tokenizer (the manifest's `files`), its model type, and the most tokens a record is cut to. */
  tokenizer: {
    type: 'object',
    additionalProperties: false,
    required: ['file', 'max_length'],
    properties: {
      file: { type: 'string', minLength: 1 },
      config: { type: 'string', minLength: 1 },
      type: { type: 'string' },
      max_length: { type: 'integer', minimum: 2 },
    },
  },
} as const satisfies Record<string, JSONSchema>;

export const TOKEN_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
const TOKEN_DATATYPES = ['INT64', 'INT32'];

interface TextManifest {
  text: { field: string; maxLength: number };
  tokenizer: { file: string; config?: string; type?: string; max_length: number };
  onnx: { inputs: readonly TensorSpec[] };
}

/** Whether the graph's inputs are token inputs this code can feed: input_ids and attention_mask, token_type_ids if it takes them, each INT64 or INT32 [N, S]. */
export function checkTokenInputs(inputs: readonly TensorSpec[]): string | null {
  for (const input of inputs) {
    if (!(TOKEN_INPUTS as readonly string[]).includes(input.name)) return `input "${input.name}" is not one of ${TOKEN_INPUTS.join(', ')}`;
    if (!TOKEN_DATATYPES.includes(input.datatype) || input.shape.length !== 2) return `input "${input.name}" must be INT64 or INT32 [N, S]; it is ${input.datatype} ${shapeText(input.shape)}`;
  }
  // Without attention_mask the padding of a batch would change each record's answer.
  for (const name of ['input_ids', 'attention_mask']) if (!inputs.some((i) => i.name === name)) return `the graph has no "${name}" input`;
  return null;
}

export function textRecordSchema(manifest: TextManifest): Record<string, unknown> {
  const { field, maxLength } = manifest.text;
  return { type: 'object', required: [field], properties: { [field]: { type: 'string', maxLength } } };
}

/** GET /models/{name}: the text field and the tokenizer. */
export function describeText(manifest: TextManifest): Record<string, unknown> {
  return {
    inputs: [{ name: manifest.text.field, type: 'text', maxLength: manifest.text.maxLength }],
    tokenizer: { file: manifest.tokenizer.file, ...(manifest.tokenizer.type ? { type: manifest.tokenizer.type } : {}), max_length: manifest.tokenizer.max_length },
  };
}

/**
 * The graph's token inputs for a batch, each [N, longest record]: ids padded
 * with the tokenizer's padding id, attention_mask 1 on tokens and 0 on
 * padding, token_type_ids from the tokenizer's template (0 on padding). Only
 * the inputs the graph lists, in its datatype.
 */
export function tokenFeeds(inputs: readonly TensorSpec[], encoded: readonly Encoded[], padId: number): Feeds {
  const width = Math.max(...encoded.map((e) => e.ids.length));
  const dims = [encoded.length, width];
  const feeds: Feeds = {};
  for (const input of inputs) {
    const int64 = input.datatype === 'INT64';
    const size = encoded.length * width;
    const data = int64 ? new BigInt64Array(size) : new Int32Array(size);
    const set = int64 ? (i: number, v: number) => ((data as BigInt64Array)[i] = BigInt(v)) : (i: number, v: number) => ((data as Int32Array)[i] = v);
    encoded.forEach((e, row) => {
      const start = row * width;
      for (let j = 0; j < width; j++) {
        const token = j < e.ids.length;
        if (input.name === 'input_ids') set(start + j, token ? e.ids[j]! : padId);
        else if (input.name === 'attention_mask') set(start + j, token ? 1 : 0);
        else set(start + j, token ? e.typeIds[j]! : 0);
      }
    });
    feeds[input.name] = int64 ? new Tensor('int64', data as BigInt64Array, dims) : new Tensor('int32', data as Int32Array, dims);
  }
  return feeds;
}

/** A record kind's encoder for a text model: tokenizer built once (at load), each batch tokenized, truncations noted per record. */
export interface TextEncoder {
  tokenizer: TextTokenizer;
  encode(records: readonly FeatureRecord[]): { feeds: Feeds; notes: RecordNote[] };
}

export function textEncoder(manifest: TextManifest, files: CompanionFiles): TextEncoder {
  const tokenizer = textTokenizer(files, manifest.tokenizer);
  const { field } = manifest.text;
  return {
    tokenizer,
    encode(records) {
      const notes: RecordNote[] = [];
      const encoded = records.map((record, index) => {
        let e: ReturnType<typeof tokenizer.encode>;
        try {
          e = tokenizer.encode(String(record[field]));
        } catch {
          // The library has no documented failures; should one come, it is this text's, answered as such rather than as a 500.
          throw new ValidationFailed(`the model's tokenizer cannot encode the "${field}" of record ${index}`, [{ path: '', problem: `record ${index}'s "${field}" cannot be tokenized` }]);
        }
        if (e.truncated) notes.push({ index, field, problem: `truncated to ${tokenizer.maxLength} tokens of ${e.length}` });
        return e;
      });
      return { feeds: tokenFeeds(manifest.onnx.inputs, encoded, tokenizer.padId), notes };
    },
  };
}
