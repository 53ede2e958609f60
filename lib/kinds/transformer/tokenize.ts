import { isPlainObject } from '../../plain-object';
import type { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../../errors';
import type { CompanionFiles } from '../../manifest/base';

/**
 * A Hugging Face tokenizer (tokenizer.json, + tokenizer_config.json) as the
 * transformer text kinds use it: built once when the model loads, then one
 * record's text → the ids the graph takes, truncated to the model's length.
 *
 * @huggingface/tokenizers 0.2.0 cannot truncate (it ignores tokenizer.json's
 * `truncation`, tokenizer_config's model_max_length, and encode() has no
 * max_length; tests/fixtures/text/README.md), so the text is encoded without
 * special tokens, cut, and the special tokens the tokenizer's post_processor
 * puts around a single text are added here, by their ids in tokenizer.json.
 */

/** One special token of the post_processor's template for a single text, and its token type. */
interface Special {
  id: number;
  type: number;
}

/** What the post_processor puts around one text: [CLS] … [SEP] for BERT, <s> … </s> for RoBERTa, nothing without one. */
export interface Template {
  before: Special[];
  after: Special[];
  /** The token type of the text's own tokens. */
  type: number;
}

export interface Encoded {
  ids: number[];
  typeIds: number[];
  /** Tokens the text had, special ones included, before truncation. */
  length: number;
  truncated: boolean;
}

export interface TextTokenizer {
  readonly maxLength: number;
  /** The id padding positions hold (their attention_mask is 0). */
  readonly padId: number;
  readonly template: Template;
  encode(text: string): Encoded;
}

// Required on first use, not imported: every function bundles lib/kinds, and
// esbuild runs a required CommonJS module's body only when it is required, so
// models of other kinds do not pay its load (~10 ms here) at a cold start.
type TokenizersModule = typeof import('@huggingface/tokenizers');
let tokenizers: TokenizersModule | undefined;
function tokenizersModule(): TokenizersModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose, see above
  return (tokenizers ??= require('@huggingface/tokenizers') as TokenizersModule);
}

type Json = Record<string, unknown>;

/** A companion file as JSON: ModelLoadError naming it when it is missing or not a JSON object. */
export function jsonFile(files: CompanionFiles, name: string): Json {
  const bytes = files.get(name);
  if (bytes === undefined) throw new ModelLoadError(`${name} is not among the manifest's files`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelLoadError(`${name} does not parse as JSON`);
  }
  if (!isPlainObject(parsed)) throw new ModelLoadError(`${name} is not a JSON object`);
  return parsed;
}

/** A token given as text or as an AddedToken object ({"content": "[PAD]"}), as tokenizer_config.json writes either. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isPlainObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** The id of a special token named in the template, from its own entry (TemplateProcessing's special_tokens) or the vocabulary. */
function idOf(tokenizer: Tokenizer, token: string, ids?: unknown): number[] {
  if (Array.isArray(ids) && ids.length > 0 && ids.every((i) => Number.isInteger(i))) return ids as number[];
  const id = tokenizer.token_to_id(token);
  if (id === undefined) throw new ModelLoadError(`tokenizer.json's post_processor names ${token}, which is not in its vocabulary`);
  return [id];
}

/** The template of one of the post_processor types the Hugging Face exporters write, or null for another type. */
function templateOf(tokenizer: Tokenizer, processor: unknown): Template | null {
  if (processor === null || processor === undefined) return { before: [], after: [], type: 0 };
  if (!isPlainObject(processor)) return null;
  switch (processor.type) {
    case 'TemplateProcessing': {
      const pieces = processor.single;
      const specials = isPlainObject(processor.special_tokens) ? processor.special_tokens : {};
      if (!Array.isArray(pieces)) return null;
      const template: Template = { before: [], after: [], type: 0 };
      let seen = false;
      for (const piece of pieces as unknown[]) {
        if (isPlainObject(piece) && isPlainObject(piece.Sequence)) {
          seen = true;
          template.type = Number(piece.Sequence.type_id ?? 0);
        } else if (isPlainObject(piece) && isPlainObject(piece.SpecialToken) && typeof piece.SpecialToken.id === 'string') {
          const token = piece.SpecialToken.id;
          const entry = specials[token];
          const type = Number(piece.SpecialToken.type_id ?? 0);
          for (const id of idOf(tokenizer, token, isPlainObject(entry) ? entry.ids : undefined)) (seen ? template.after : template.before).push({ id, type });
        } else return null;
      }
      return seen ? template : null;
    }
    // BERT's and RoBERTa's own processors: {"cls": ["[CLS]", 101], "sep": ["[SEP]", 102]}.
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const [cls, clsId] = Array.isArray(processor.cls) ? (processor.cls as unknown[]) : [];
      const [sep, sepId] = Array.isArray(processor.sep) ? (processor.sep as unknown[]) : [];
      if (typeof cls !== 'string' || typeof sep !== 'string') return null;
      const id = (token: string, given: unknown) => (Number.isInteger(given) ? (given as number) : idOf(tokenizer, token)[0]!);
      return { before: [{ id: id(cls, clsId), type: 0 }], after: [{ id: id(sep, sepId), type: 0 }], type: 0 };
    }
    // A Sequence (ByteLevel, then a template): the member that adds tokens; ByteLevel adds none.
    case 'Sequence': {
      const members = Array.isArray(processor.processors) ? (processor.processors as unknown[]) : [];
      const adding = members.filter((m) => !(isPlainObject(m) && m.type === 'ByteLevel'));
      if (adding.length === 0) return { before: [], after: [], type: 0 };
      return adding.length === 1 ? templateOf(tokenizer, adding[0]) : null;
    }
    case 'ByteLevel':
      return { before: [], after: [], type: 0 };
    default:
      return null;
  }
}

/** The padding id: tokenizer_config's pad_token, else tokenizer.json's padding, else [PAD] or <pad> in the vocabulary. */
function padIdOf(tokenizer: Tokenizer, json: Json, config: Json): number {
  const named = tokenText(config.pad_token);
  const candidates = [named, isPlainObject(json.padding) ? tokenText(json.padding.pad_token) : undefined, '[PAD]', '<pad>'];
  for (const token of candidates) {
    const id = token === undefined ? undefined : tokenizer.token_to_id(token);
    if (id !== undefined) return id;
  }
  if (isPlainObject(json.padding) && Number.isInteger(json.padding.pad_id)) return json.padding.pad_id as number;
  throw new ModelLoadError('the tokenizer names no padding token (tokenizer_config.json pad_token, or [PAD] / <pad> in tokenizer.json)');
}

/** The manifest's account of the tokenizer (the kinds' `tokenizer` field). */
export interface TokenizerFields {
  file: string;
  config?: string;
  max_length: number;
}

/**
 * The tokenizer of a model version from its verified companion files:
 * ModelLoadError for a file that does not parse, a tokenizer the library
 * cannot build, or a post_processor whose special tokens cannot be read.
 */
export function textTokenizer(files: CompanionFiles, fields: TokenizerFields): TextTokenizer {
  const json = jsonFile(files, fields.file);
  const config = fields.config === undefined ? {} : jsonFile(files, fields.config);
  let tokenizer: Tokenizer;
  try {
    const { Tokenizer } = tokenizersModule();
    tokenizer = new Tokenizer(json, config);
    tokenizer.encode('a');
  } catch (error) {
    throw new ModelLoadError(`${fields.file} is not a tokenizer @huggingface/tokenizers can use: ${(error as Error).message.split('\n')[0]}`);
  }
  const template = templateOf(tokenizer, json.post_processor);
  if (!template) throw new ModelLoadError(`${fields.file}'s post_processor (${JSON.stringify(isPlainObject(json.post_processor) ? json.post_processor.type : json.post_processor)}) is not one whose special tokens can be read`);
  const maxLength = fields.max_length;
  const room = maxLength - template.before.length - template.after.length;
  if (room < 1) throw new ModelLoadError(`a maximum length of ${maxLength} tokens leaves no room for text beside the special tokens`);
  const padId = padIdOf(tokenizer, json, config);
  return {
    maxLength,
    padId,
    template,
    encode(text) {
      const own = tokenizer.encode(text, { add_special_tokens: false }).ids;
      const kept = own.length > room ? own.slice(0, room) : own;
      const ids = [...template.before.map((s) => s.id), ...kept, ...template.after.map((s) => s.id)];
      const typeIds = [...template.before.map((s) => s.type), ...kept.map(() => template.type), ...template.after.map((s) => s.type)];
      return { ids, typeIds, length: own.length + template.before.length + template.after.length, truncated: kept !== own };
    },
  };
}
