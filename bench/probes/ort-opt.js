// onnxruntime alone on one model, in a fresh process: where graph
// optimisation happens (at every load, or once, saved). Env: MODEL (the .onnx
// file), LEVEL (graphOptimizationLevel: disabled, basic, extended, all),
// SAVE_TO (optional: optimizedModelFilePath, the optimised graph written
// there), INPUT and EXPECTED (optional: raw float32, a [n, 3, 224, 224] batch
// and its logits from PyTorch; the first picture is run and compared), RUNS
// (timed runs after the first, default 20). One intra-op and one inter-op
// thread, as lib/model's SESSION_OPTIONS. The session is created from the
// file's bytes (as lib/model does), so reading the file is not in it.
// Prints BENCH-RESULT {requireMs, createMs, firstRunMs, runMs (median), runs,
// peakRssMb (VmHWM), rssAfterCreateMb, maxAbsDiff}.
'use strict';
const { readFileSync } = require('node:fs');

const { status } = require('./proc-status');

(async () => {
  const t0 = performance.now();
  const ort = require('onnxruntime-node');
  const t1 = performance.now();
  const bytes = readFileSync(process.env.MODEL);
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: process.env.LEVEL };
  if (process.env.SAVE_TO) options.optimizedModelFilePath = process.env.SAVE_TO;
  const t2 = performance.now();
  const session = await ort.InferenceSession.create(bytes, options);
  const t3 = performance.now();
  const rssAfterCreateMb = status('VmRSS');
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  const size = 3 * 224 * 224;
  let data;
  if (process.env.INPUT) {
    const raw = readFileSync(process.env.INPUT);
    data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + size * 4));
  } else {
    data = new Float32Array(size).map((_, i) => Math.sin(i) * 2);
  }
  const feeds = { [inputName]: new ort.Tensor('float32', data, [1, 3, 224, 224]) };
  const t4 = performance.now();
  const first = await session.run(feeds);
  const firstRunMs = performance.now() - t4;
  let maxAbsDiff = null;
  if (process.env.EXPECTED) {
    const raw = readFileSync(process.env.EXPECTED);
    const expected = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const got = first[outputName].data;
    maxAbsDiff = 0;
    for (let i = 0; i < got.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - expected[i]));
  }
  const runs = Number(process.env.RUNS ?? 20);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    requireMs: t1 - t0,
    createMs: t3 - t2,
    firstRunMs,
    runMs: times[Math.floor(times.length / 2)] ?? NaN,
    runs,
    peakRssMb: status('VmHWM'),
    rssAfterCreateMb,
    maxAbsDiff,
  })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
