import { compileSchema } from '../../ajv';
import { traced } from '../../observability/tracing';
import type { GoldenCase } from '../../manifest/base';
import { assertFinite } from '../../tensors/finite';
import type { Signal } from '../../observability/request-facts';
import { unchangedStrings, type Feeds, type KindRuntime, type Outputs } from '../kind';
import { MAX_WARNINGS, parseRecords, recordPointer, type FeatureRecord, type FieldKinds } from './request';

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
  encode(records: readonly FeatureRecord[]): { feeds: Feeds; notes: RecordNote[] };
  answers(outputs: Outputs, count: number): Record<string, unknown>[];
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

export function recordRuntime(modelName: string, codec: RecordCodec): KindRuntime {
  // Compiled once, when the model loads (Lambda's init), not on the first call.
  const validate = compileSchema(codec.schema);
  return {
    async predict(body, run) {
      const { request, feeds, notes } = traced('encode', () => {
        const request = parseRecords(body, codec.fields, validate, modelName);
        return { request, ...codec.encode(request.records) };
      });
      const outputs = await run(feeds);
      assertFinite(outputs, codec.checkedOutputs, (row) => recordPointer(request.single, row));
      const answers = codec.answers(outputs, request.records.length);
      const warnings = [
        ...request.warnings,
        ...notes.map((n) => ({ path: recordPointer(request.single, n.index, n.field), problem: n.problem })),
      ].slice(0, MAX_WARNINGS);
      const count = request.records.length;
      return { body: request.single ? { ...answers[0] } : { predictions: answers }, warnings, records: count, signals: codec.signals(outputs, count) };
    },
    signals: codec.signals,
    goldenRequest: (golden: GoldenCase) => golden.request,
    goldenView: (answer) => answer,
    prepareStrings: codec.prepareStrings ?? unchangedStrings,
  };
}
