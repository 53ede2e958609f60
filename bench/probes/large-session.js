// onnxruntime alone on one (large) model, in a fresh process: require
// onnxruntime-node from TASK_ROOT (the packaged folder's, else this repo's),
// create a session of MODEL with the options in OPTIONS (JSON: the service's
// by default, lib/model's SESSION_OPTIONS) from the file's bytes read here
// (SOURCE=bytes, as lib/model loads today) or from its path (SOURCE=path,
// onnxruntime reads it), then one run of one row of ones (dynamic dimensions 1).
// Prints BENCH-RESULT {requireMs, readMs, createMs, firstRunMs, baseRssMb
// (VmRSS after require), peakRssMb (VmHWM), rssAfterMb}.
'use strict';
const { readFileSync } = require('node:fs');

const { status } = require('./proc-status');

(async () => {
  const t0 = performance.now();
  const ort = require(process.env.TASK_ROOT ? `${process.env.TASK_ROOT}/node_modules/onnxruntime-node` : 'onnxruntime-node');
  const t1 = performance.now();
  const baseRssMb = status('VmRSS');
  const options = JSON.parse(process.env.OPTIONS ?? '{"intraOpNumThreads":1,"interOpNumThreads":1,"graphOptimizationLevel":"all"}');
  const source = process.env.SOURCE === 'path' ? process.env.MODEL : readFileSync(process.env.MODEL);
  const t2 = performance.now();
  const session = await ort.InferenceSession.create(source, options);
  const t3 = performance.now();
  const feeds = {};
  for (const input of session.inputMetadata) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[input.name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape);
  }
  const t4 = performance.now();
  const out = await session.run(feeds);
  const t5 = performance.now();
  const first = out[session.outputNames[0]].data;
  if (!Number.isFinite(first[0])) throw new Error('the first answer is not finite');
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    requireMs: t1 - t0,
    readMs: t2 - t1,
    createMs: t3 - t2,
    firstRunMs: t5 - t4,
    baseRssMb,
    peakRssMb: status('VmHWM'),
    rssAfterMb: status('VmRSS'),
  })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
