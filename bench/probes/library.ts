// The library call on already-parsed records (what the Python baseline's
// dv.transform + predict_proba measures): encoding + one onnxruntime run +
// the answers, without the request validation the predict route adds.
// Bundled by bench/run.ts; customers come as JSON on stdin.
// Prints {singleMs: [...], batch: {size: {recordsPerSecond, msPerBatch}}}.
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import { createEncoder } from '../../lib/kinds/binary-classification/one-hot-encoder';
import { roundProbability } from '../../lib/kinds/records/outputs';
import type { FeatureRecord } from '../../lib/kinds/records/request';
import { loadChurn } from './churn-model';

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 10000);
  const customers = JSON.parse(readFileSync(0, 'utf8')) as FeatureRecord[];
  const { manifest, model } = await loadChurn();
  const encoder = createEncoder(manifest.features);
  const input = manifest.onnx.inputs[0]!.name;
  const output = manifest.onnx.outputs[0]!.name;
  const { probability, label, threshold } = manifest.output;

  const score = async (records: readonly FeatureRecord[]) => {
    const { data } = encoder.encode(records);
    const { outputs } = await model.run({ [input]: new Tensor('float32', data, [records.length, encoder.width]) });
    return Array.from(outputs[output]!.data as Float32Array, (p) => ({ [probability]: roundProbability(p), [label]: p >= threshold }));
  };

  for (let i = 0; i < 500; i++) await score([customers[i % customers.length]!]);

  const singleMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const record = customers[i % customers.length]!;
    const start = performance.now();
    await score([record]);
    singleMs.push(performance.now() - start);
  }

  const batch: Record<number, { msPerBatch: number; recordsPerSecond: number; batches: number }> = {};
  for (const size of [1, 10, 100, 1000]) {
    const records = Array.from({ length: size }, (_, i) => customers[i % customers.length]!);
    const times: number[] = [];
    const until = performance.now() + 1000;
    while (performance.now() < until || times.length < 5) {
      const start = performance.now();
      await score(records);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    batch[size] = { msPerBatch: ms, recordsPerSecond: (size / ms) * 1000, batches: times.length };
  }
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ singleMs, batch })}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
