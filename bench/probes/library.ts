// The library call on already-parsed records (what the Python baseline's
// dv.transform + predict_proba measures): encoding + one onnxruntime run.
// Bundled by bench/run.ts; customers come as JSON on stdin.
// Prints {singleMs: [...], batch: {size: {recordsPerSecond, msPerBatch}}}.
import { readFileSync } from 'node:fs';
import { loadModel } from '../../lib/model';
import { resolveModel } from '../../lib/model-catalog';
import type { FeatureRecord } from '../../lib/tasks/task';

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 10000);
  const customers = JSON.parse(readFileSync(0, 'utf8')) as FeatureRecord[];
  const model = await loadModel(resolveModel('churn').dir);
  for (let i = 0; i < 500; i++) await model.predict([customers[i % customers.length]!]);

  const singleMs: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const record = customers[i % customers.length]!;
    const start = performance.now();
    await model.predict([record]);
    singleMs.push(performance.now() - start);
  }

  const batch: Record<number, { msPerBatch: number; recordsPerSecond: number; batches: number }> = {};
  for (const size of [1, 10, 100, 1000]) {
    const records = Array.from({ length: size }, (_, i) => customers[i % customers.length]!);
    const times: number[] = [];
    const until = performance.now() + 1000;
    while (performance.now() < until || times.length < 5) {
      const start = performance.now();
      await model.predict(records);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    batch[size] = { msPerBatch: ms, recordsPerSecond: (size / ms) * 1000, batches: times.length };
  }
  process.stdout.write(JSON.stringify({ singleMs, batch }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
