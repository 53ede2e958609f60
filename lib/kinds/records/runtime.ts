import { compileSchema } from '../../ajv';
import { traced } from '../../observability/tracing';
import type { GoldenCase } from '../../manifest/base';
import { assertFinite } from '../../tensors/finite';
import type { Signal } from '../../observability/request-facts';
import { jsonOf, unchangedStrings, type Feeds, type KindRuntime, type Outputs } from '../kind';
import type { Preprocessing } from './preprocessing';
import { jsonBatch, MAX_WARNINGS, readRecords, recordReader, type FeatureRecord, type FieldKinds } from './request';

/** Something about one record that did not stop it being scored. */
export interface RecordNote {
  /** Position of the record in the batch. */
  index: number;
  field: string;
  problem: string;
}

/**
 * What a kind that takes JSON records provides: the record schema, how a
 * batch of records becomes the graph's feeds, and how the outputs become one
 * answer per record. recordRuntime() does the rest, the same for each.
 */
export interface RecordCodec {
  /** The JSON schema of one record. */
  schema: Record<string, unknown>;
  fields: FieldKinds;
  /** The manifest's record of what training did to its data, applied to every record. */
  preprocessing?: Preprocessing;
  encode(records: readonly FeatureRecord[]): { feeds: Feeds; notes: RecordNote[] };
  /** The batch's answers; `feeds` are the tensors encode() made for it (a pooling kind reads their attention_mask). */
  answers(outputs: Outputs, count: number, feeds: Feeds): Record<string, unknown>[];
  /** The batch's drift figures (./signals.ts), from the same outputs. */
  signals(outputs: Outputs, count: number): Signal[];
  /** Outputs whose values must be finite for an answer to exist. */
  checkedOutputs: readonly string[];
  prepareStrings?: (input: string, values: string[]) => string[];
}

/** The request body a record kind takes: one record, or {"instances": [records]}. */
export function recordsRequestSchema(record: Record<string, unknown>): Record<string, unknown> {
  return {
    oneOf: [
      record,
      { type: 'object', required: ['instances'], properties: { instances: { type: 'array', minItems: 1, items: record } } },
    ],
  };
}

/**
 * The answer body of a record kind: one record's answer (the route adds its
 * own fields beside it), or {"predictions": [answers]} for a batch.
 */
export function recordsAnswerSchema(answer: Record<string, unknown>): Record<string, unknown> {
  const batch = { type: 'array', minItems: 1, items: { ...answer, additionalProperties: false } };
  return { oneOf: [answer, { type: 'object', required: ['predictions'], properties: { predictions: batch } }] };
}

/** A probability as the record kinds print it (./outputs.ts, roundProbability). */
export const probabilitySchema = { type: 'number', minimum: 0, maximum: 1 };

/** {label: probability} for every label, and nothing else. */
export function probabilitiesSchema(labels: readonly (string | number)[]): Record<string, unknown> {
  const names = labels.map(String);
  return { type: 'object', required: names, properties: Object.fromEntries(names.map((l) => [l, probabilitySchema])), additionalProperties: false };
}

export function recordRuntime(modelName: string, codec: RecordCodec): KindRuntime {
  // Compiled once, when the model loads (Lambda's init), not on the first call.
  const validate = compileSchema(codec.schema);
  const reader = recordReader(codec.fields, codec.preprocessing);
  return {
    async predict(body, run) {
      const { request, feeds, notes } = traced('encode', () => {
        const request = readRecords('table' in body ? body.table : jsonBatch(jsonOf(body)), reader, validate, modelName);
        return { request, ...codec.encode(request.records) };
      });
      const { batch } = request;
      const outputs = await run(feeds);
      assertFinite(outputs, codec.checkedOutputs, (row) => batch.at(row));
      const answers = codec.answers(outputs, request.records.length, feeds);
      const warnings = [
        ...request.warnings,
        ...notes.map((n) => ({ path: batch.at(n.index, n.field), problem: n.problem, record: n.index })),
      ].slice(0, MAX_WARNINGS);
      const count = request.records.length;
      return {
        body: batch.single ? { ...answers[0] } : { predictions: answers },
        answers,
        warnings,
        records: count,
        signals: codec.signals(outputs, count),
        scored: () => request.records.map((input, i) => ({ input: { ...input }, answer: answers[i]! })),
      };
    },
    signals: codec.signals,
    goldenView: (answer) => answer,
    prepareStrings: codec.prepareStrings ?? unchangedStrings,
  };
}
