// Where a 1,000-record JSON request's time goes: each stage of the predict
// route's path (lib/http/request-body, lib/kinds/records, the
// binary-classification kind, onnxruntime, the JSON answer) timed on its
// own, in the order the handler runs them, on the same body the handler's
// batch figure uses (bench/probes/handler.js), and the CSV route's body
// beside it. The functions are the handler's own, bundled from lib/ by
// bench/run.ts; the record validator is compiled by Ajv here, where the
// package loads the same schema precompiled. The middy chain, the access line
// and the metrics are what the handler's figure adds to the sum.
// Customers come as JSON on stdin. argv: [records]. Prints
// BENCH-RESULT {records, stages: [{stage, ms}], totalMs, csv: {...}}.
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import { compileSchema } from '../../lib/ajv';
import { parseJson } from '../../lib/http/request-body';
import { binaryClassification } from '../../lib/kinds/binary-classification';
import { createEncoder } from '../../lib/kinds/binary-classification/one-hot-encoder';
import { floatOutput, roundProbability } from '../../lib/kinds/records/outputs';
import { jsonBatch, readRecords, recordReader, type FeatureRecord } from '../../lib/kinds/records/request';
import { extended } from '../../lib/plain-object';
import { readCsv } from '../../lib/protocols/rest/formats/csv';
import { loadChurn } from './churn-model';

const REPEATS = 200;
const WARMUP = 300;

/** Median of `fn`'s time over REPEATS calls after WARMUP, and its last result. */
async function timed<T>(fn: () => T | Promise<T>): Promise<{ ms: number; result: T }> {
  let result = await fn();
  for (let i = 0; i < WARMUP; i++) result = await fn();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, result };
}

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 1000);
  const customers = JSON.parse(readFileSync(0, 'utf8')) as FeatureRecord[];
  const { manifest, model } = await loadChurn();
  const records = Array.from({ length: size }, (_, i) => customers[i % customers.length]!);
  const body = JSON.stringify({ instances: records });
  const fields = new Map(manifest.features.map((f) => [f.name, f.type === 'numeric' ? 'numeric' : 'text'] as const));
  const reader = recordReader(fields, manifest.preprocessing);
  // The record schema, as the kind's request schema holds it (one record | {instances}).
  const recordSchema = (binaryClassification.requestSchema(manifest) as { oneOf: object[] }).oneOf[0]!;
  const validate = compileSchema(recordSchema);
  const encoder = createEncoder(manifest.features, manifest.preprocessing?.text_values);
  const input = manifest.onnx.inputs[0]!.name;
  const output = manifest.onnx.outputs[0]!.name;
  const { probability, label, threshold } = manifest.output;

  const parse = await timed(() => parseJson(body));
  const read = await timed(() => readRecords(jsonBatch(parse.result), reader, validate, manifest.name));
  const encode = await timed(() => {
    const { data } = encoder.encode(read.result.records);
    return { [input]: new Tensor('float32', data, [size, encoder.width]) };
  });
  const run = await timed(async () => (await model.run(encode.result)).outputs);
  const answer = await timed(() => {
    // As the binary-classification kind builds them (lib/kinds/binary-classification, answers).
    const p = floatOutput(run.result, output, size);
    const predictions: Record<string, unknown>[] = [];
    for (let i = 0; i < size; i++) predictions.push({ [probability]: roundProbability(p[i]!), [label]: p[i]! >= threshold });
    return extended({ predictions }, { model: { name: manifest.name, version: manifest.version } });
  });
  const serialise = await timed(() => JSON.stringify(answer.result));
  const whole = await timed(() => model.predict({ json: parse.result }));
  const stages = [
    { stage: 'parse (JSON.parse of the body)', ms: parse.ms },
    { stage: 'read + validate (field names, numeric text, Ajv per record)', ms: read.ms },
    { stage: 'preprocess (one-hot encoding into the tensor)', ms: encode.ms },
    { stage: 'onnxruntime (one run)', ms: run.ms },
    { stage: 'answer (probabilities rounded, labels, the reply)', ms: answer.ms },
    { stage: 'serialise (JSON.stringify of the answer)', ms: serialise.ms },
  ];

  // The CSV route: the same records as a header and rows, read by csv-parse.
  const columns = Object.keys(records[0]!);
  const csvText = [columns.join(','), ...records.map((r) => columns.map((c) => String(r[c])).join(','))].join('\n');
  const csvRead = await timed(() => readRecords(readCsv(csvText), reader, validate, manifest.name));
  process.stdout.write(
    `\nBENCH-RESULT ${JSON.stringify({
      records: size,
      bodyBytes: Buffer.byteLength(body),
      stages,
      sumMs: stages.reduce((s, x) => s + x.ms, 0),
      // The kind's own predict on the parsed body (read, validate, encode, run, answers), for a check on the parts.
      modelPredictMs: whole.ms,
      csv: { bodyBytes: Buffer.byteLength(csvText), readMs: csvRead.ms },
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
