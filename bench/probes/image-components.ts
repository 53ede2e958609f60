// The parts of an image predict call, timed in-process: the kind's decode +
// preprocess (decodeImage: sharp, then scaling, normalising and the layout)
// and onnxruntime alone (the model as lib/model loads it, SESSION_OPTIONS)
// on the tensor it made. Bundled by bench/images.ts; run on the pinned CPU in
// a process of its own, so that the handler's probe has one sharp and one
// session. Env: MODELS_DIR, MODEL_NAME, JPEGS (a JSON list of files), WARMUP,
// CALLS, BATCH, BATCH_WARMUP, BATCHES, LOOP_SECONDS, as image-handler.js.
// Prints BENCH-RESULT {decodeMs, ortMs, batchDecodeMs, batchOrtMs} (arrays).
import { readFileSync } from 'node:fs';
import { Tensor } from 'onnxruntime-node';
import { decodeImage } from '../../lib/kinds/image-classification/decode';
import type { ImageClassificationManifest } from '../../lib/kinds/image-classification';
import { loadModel } from '../../lib/model';
import { findVersion } from '../../lib/repository/model-repository';

const n = (key: string, fallback: number) => Number(process.env[key] ?? fallback);

async function main(): Promise<void> {
  const entry = findVersion(process.env.MODEL_NAME!);
  const manifest = entry.manifest;
  if (manifest?.kind !== 'image-classification') throw new Error(`${process.env.MODEL_NAME} is not a usable image classifier: ${entry.problem ?? manifest?.kind}`);
  const m = manifest as ImageClassificationManifest;
  const model = await loadModel(entry.dir, manifest);
  const jpegs = (JSON.parse(process.env.JPEGS!) as string[]).map((file) => readFileSync(file));
  const [height, width] = m.image.size as [number, number];
  const per = 3 * height * width;
  const dims = (count: number) => (m.image.layout === 'NCHW' ? [count, 3, height, width] : [count, height, width, 3]);
  const deadline = () => performance.now() + n('LOOP_SECONDS', 120) * 1000;

  /** Decodes `pictures` into one batch (as the kind's batchOf does), then runs it: both times. */
  const once = async (pictures: Buffer[]) => {
    const t0 = performance.now();
    const data = new Float32Array(per * pictures.length);
    for (const [i, bytes] of pictures.entries()) data.set((await decodeImage(bytes, m.image, 'float32', { name: `picture ${i}`, path: '', typed: true })).values, i * per);
    const t1 = performance.now();
    await model.run({ [m.image.input]: new Tensor('float32', data, dims(pictures.length)) });
    return { decode: t1 - t0, ort: performance.now() - t1 };
  };

  const decodeMs: number[] = [];
  const ortMs: number[] = [];
  const warmup = n('WARMUP', 20);
  let until = deadline();
  for (let i = 0; i < warmup + n('CALLS', 200) && performance.now() < until; i++) {
    const t = await once([jpegs[i % jpegs.length]!]);
    if (i < warmup) continue;
    decodeMs.push(t.decode);
    ortMs.push(t.ort);
  }
  const batch = jpegs.slice(0, n('BATCH', 8));
  const batchDecodeMs: number[] = [];
  const batchOrtMs: number[] = [];
  const batchWarmup = n('BATCH_WARMUP', 3);
  until = deadline();
  for (let i = 0; i < batchWarmup + n('BATCHES', 20) && performance.now() < until; i++) {
    const t = await once(batch);
    if (i < batchWarmup) continue;
    batchDecodeMs.push(t.decode);
    batchOrtMs.push(t.ort);
  }
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ decodeMs, ortMs, batchDecodeMs, batchOrtMs })}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
