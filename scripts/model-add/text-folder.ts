import { isPlainObject } from '../../lib/plain-object';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../../lib/errors';
import { id2labelList } from '../../lib/kinds/labels';
import type { GoldenCase, TensorSpec } from '../../lib/manifest/base';
import { checkTokenInputs } from '../../lib/kinds/transformer/text';
import { textTokenizer } from '../../lib/kinds/transformer/tokenize';
import { shapeText } from '../../lib/tensors/shape';
import { Refused } from './refused';

/**
 * model:add on a folder laid out as `optimum-cli export onnx` writes it
 * (README, "Transformer text"): model.onnx, tokenizer.json, and optionally
 * tokenizer_config.json, config.json and the tokenizer's other files. The
 * task comes from config.json and the graph's outputs; the companion files
 * are copied into the version folder and listed in the manifest's `files`.
 */

/** The files of an export folder that are copied beside the model, when present. */
export const COMPANION_FILES = ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'added_tokens.json'];
/** The most tokens a record is cut to, whatever the model allows: attention costs grow with the square of the length, on 1-2 Lambda vCPUs. */
export const MAX_TOKENS = 512;
/** The longest text a record may carry (Unicode code points); a 400 beyond it, and tokens past the model's length are cut with a warning. */
const MAX_TEXT = 10_000;

type Json = Record<string, unknown>;

export interface TextFolder {
  /** The folder's model.onnx. */
  modelFile: string;
  /** Its companion files by name, as read. */
  files: Map<string, Buffer>;
  config: Json | null;
  tokenizerConfig: Json | null;
  tokenizer: Json;
}

export interface TextChoice {
  kind: 'transformer-classification' | 'text-embedding';
  reason: string;
  fields: Record<string, unknown>;
  files: ReadonlyMap<string, Buffer>;
  /** The golden requests, answers still to be recorded. */
  golden: GoldenCase[];
}

export const isFolder = (file: string): boolean => existsSync(file) && statSync(file).isDirectory();

function jsonIn(dir: string, name: string, bytes: Buffer): Json {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (isPlainObject(parsed)) return parsed;
  } catch {
    // refused below
  }
  throw new Refused(`${path.join(dir, name)} does not parse as a JSON object`);
}

/** Reads an export folder: Refused without model.onnx or tokenizer.json, or when a JSON file does not parse. */
export function readTextFolder(dir: string): TextFolder {
  const modelFile = path.join(dir, 'model.onnx');
  if (!existsSync(modelFile)) throw new Refused(`${dir} has no model.onnx: give an ONNX file, or a folder as optimum-cli export onnx writes it (model.onnx, tokenizer.json, config.json)`);
  if (existsSync(path.join(dir, 'model.onnx_data'))) throw new Refused(`${dir} keeps its weights in model.onnx_data (ONNX external data), which is not served: export a model under 2 GB as one file`);
  if (!existsSync(path.join(dir, 'tokenizer.json'))) throw new Refused(`${dir} has model.onnx but no tokenizer.json: give the ONNX file itself to serve it as tensors`);
  const files = new Map(COMPANION_FILES.filter((name) => existsSync(path.join(dir, name))).map((name) => [name, readFileSync(path.join(dir, name))]));
  const parsed = (name: string) => (files.has(name) ? jsonIn(dir, name, files.get(name)!) : null);
  return { modelFile, files, tokenizer: parsed('tokenizer.json')!, tokenizerConfig: parsed('tokenizer_config.json'), config: parsed('config.json') };
}

/** A positive integer setting below HF's "no limit" stand-in (model_max_length 1e30), or null. */
const sane = (value: unknown): number | null => (Number.isInteger(value) && (value as number) > 1 && (value as number) < 1_000_000 ? (value as number) : null);

/** The most tokens a record keeps: the smallest of tokenizer_config's model_max_length, config's max_position_embeddings, a fixed sequence dimension, and MAX_TOKENS. */
function maxLengthOf(folder: TextFolder, inputs: readonly TensorSpec[]): { value: number; why: string } {
  const found: [number, string][] = [];
  const declared = sane(folder.tokenizerConfig?.model_max_length);
  if (declared) found.push([declared, `tokenizer_config.json model_max_length ${declared}`]);
  let positions = sane(folder.config?.max_position_embeddings);
  // RoBERTa's positions start after the padding id: 514 embeddings serve 512 tokens.
  if (positions && /roberta|camembert/i.test(String(folder.config?.model_type ?? ''))) positions -= 2;
  if (positions) found.push([positions, `config.json max_position_embeddings ${positions}`]);
  const fixed = inputs.find((i) => i.name === 'input_ids')?.shape[1];
  if (typeof fixed === 'number') found.push([fixed, `the graph's input_ids length ${fixed}`]);
  found.push([MAX_TOKENS, `the service's cap of ${MAX_TOKENS}`]);
  const value = Math.min(...found.map(([n]) => n));
  return { value, why: found.filter(([n]) => n === value).map(([, why]) => why).join(', ') };
}

/** config.json's id2label in index order, when it names exactly `classes` labels, distinct and non-empty. */
function labelsOf(config: Json | null, classes: number): string[] | null {
  const labels = id2labelList(config?.id2label);
  if (!Array.isArray(labels) || labels.length !== classes || !labels.every((l) => l.length > 0)) return null;
  return new Set(labels).size === classes ? labels : null;
}

const isFloat = (spec: TensorSpec) => spec.datatype === 'FP32';
const architecture = (config: Json | null): string => (Array.isArray(config?.architectures) ? String(config.architectures[0] ?? '') : '');

/** The [N, K] output a classifier answers with: `logits` when the graph has it, else the only 2-D float one. */
function classifierOutput(outputs: readonly TensorSpec[]): TensorSpec | undefined {
  const scores = outputs.filter((o) => isFloat(o) && o.shape.length === 2 && typeof o.shape[1] === 'number' && o.shape[1] >= 2);
  return scores.find((o) => o.name === 'logits') ?? (scores.length === 1 ? scores[0] : undefined);
}

/** The output an embedder answers with: a pooled sentence_embedding, else last_hidden_state (mean-pooled), else the only such output. */
function embeddingOutput(outputs: readonly TensorSpec[]): { spec: TensorSpec; pooling: 'mean' | 'none' } | undefined {
  const floats = outputs.filter(isFloat);
  const pooled = floats.find((o) => o.name === 'sentence_embedding' && o.shape.length === 2);
  if (pooled) return { spec: pooled, pooling: 'none' };
  const hidden = floats.find((o) => o.name === 'last_hidden_state' && o.shape.length === 3) ?? floats.find((o) => o.shape.length === 3);
  if (hidden) return { spec: hidden, pooling: 'mean' };
  const flat = floats.filter((o) => o.shape.length === 2);
  return flat.length === 1 ? { spec: flat[0]!, pooling: 'none' } : undefined;
}

/**
 * The requests a new text model's golden cases record: one record, a batch
 * of different lengths with an empty text (padding, [CLS][SEP] alone), and a
 * text past any model's length (truncation).
 */
function goldenRequests(): GoldenCase[] {
  return [
    { request: { text: 'Hello, can you help me with my bill?' }, answer: null },
    {
      request: { instances: [{ text: 'The engineer was brilliant, thank you so much.' }, { text: 'My internet keeps dropping every evening and nobody fixes it.' }, { text: '' }] },
      answer: null,
    },
    { request: { text: Array.from({ length: MAX_TOKENS + 10 }, (_, i) => ['when', 'will', 'my', 'refund', 'arrive'][i % 5]).join(' ') }, answer: null },
  ];
}

/**
 * The kind, fields, companion files and golden requests of an export
 * folder's model. `kind` is --kind when given (one of the two text kinds).
 * Refused when the graph does not take token inputs, or a classifier has no
 * labels to be found.
 */
export function chooseTextKind(folder: TextFolder, inputs: readonly TensorSpec[], outputs: readonly TensorSpec[], options: { kind?: string; normalize?: boolean }): TextChoice {
  const requested = options.kind;
  if (requested !== undefined && requested !== 'transformer-classification' && requested !== 'text-embedding') {
    throw new Refused(`--kind ${requested} does not serve a transformer export folder: its kinds are transformer-classification and text-embedding (or tensor)`);
  }
  const tokenInputs = checkTokenInputs(inputs);
  if (tokenInputs) throw new Refused(`the graph does not take token inputs as a transformer export does (${tokenInputs}); --kind tensor serves it as tensors`);
  const maxLength = maxLengthOf(folder, inputs);
  const tokenizerFields = {
    file: 'tokenizer.json',
    ...(folder.files.has('tokenizer_config.json') ? { config: 'tokenizer_config.json' } : {}),
    ...(isPlainObject(folder.tokenizer.model) && typeof folder.tokenizer.model.type === 'string' ? { type: folder.tokenizer.model.type } : {}),
    max_length: maxLength.value,
  };
  // The tokenizer as the service will build it: a file it cannot use is refused now, not at load.
  try {
    textTokenizer(folder.files, tokenizerFields);
  } catch (error) {
    if (error instanceof ModelLoadError) throw new Refused(error.message);
    throw error;
  }
  const shared = { text: { field: 'text', maxLength: MAX_TEXT }, tokenizer: tokenizerFields };
  const arch = architecture(folder.config);
  const scores = classifierOutput(outputs);
  const classes = scores ? (scores.shape[1] as number) : 0;
  const labels = scores ? labelsOf(folder.config, classes) : null;
  const classifies = scores !== undefined && (labels !== null || arch.endsWith('ForSequenceClassification'));
  const tokens = `input_ids with tokenizer.json beside it; ${tokenizerFields.max_length} tokens at most (${maxLength.why})`;

  if (requested === 'transformer-classification' || (requested === undefined && classifies)) {
    if (!scores) throw new Refused(`--kind transformer-classification needs an FP32 [N, classes] output; the graph's outputs are ${outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(', ')}`);
    if (!labels) throw new Refused(`config.json has no id2label naming the ${classes} classes of "${scores.name}" (distinct, in index order): add it to config.json (transformers writes it when the model is trained with labels)`);
    const probabilities = /prob/i.test(scores.name);
    return {
      kind: 'transformer-classification',
      reason: `${requested ? 'chosen with --kind; ' : ''}a sequence classifier: ${tokens}; "${scores.name}" ${shapeText(scores.shape)} holds ${probabilities ? 'probabilities' : 'logits'} for config.json's id2label${arch ? ` (${arch})` : ''}`,
      fields: { ...shared, labels, output: { name: scores.name, scores: probabilities ? 'probabilities' : 'logits' } },
      files: folder.files,
      golden: goldenRequests(),
    };
  }
  const embedding = embeddingOutput(outputs);
  if (!embedding) throw new Refused(`the graph has neither class scores [N, K] with labels nor hidden states [N, S, H] or a pooled [N, H] output; --kind tensor serves it as tensors`);
  const last = embedding.spec.shape.at(-1);
  const dimension = typeof last === 'number' ? last : sane(folder.config?.hidden_size);
  if (!dimension) throw new Refused(`"${embedding.spec.name}" ${shapeText(embedding.spec.shape)} has no fixed size, and config.json no hidden_size`);
  const normalize = options.normalize === true;
  const how = embedding.pooling === 'mean' ? `"${embedding.spec.name}" ${shapeText(embedding.spec.shape)} mean-pooled over the attention mask` : `"${embedding.spec.name}" ${shapeText(embedding.spec.shape)} as it is`;
  return {
    kind: 'text-embedding',
    reason: `${requested ? 'chosen with --kind; ' : ''}a feature extractor: ${tokens}; ${how}${normalize ? ', L2-normalised (--normalize)' : ''}${arch ? ` (${arch})` : ''}`,
    fields: { ...shared, output: { name: embedding.spec.name, pooling: embedding.pooling }, dimension, normalize },
    files: folder.files,
    golden: goldenRequests(),
  };
}
