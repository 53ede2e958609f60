// onnxruntime alone, in a fresh process: require onnxruntime-node from
// TASK_ROOT (the unzipped artifact's), create a session of MODEL with the
// options in argv[2] (JSON) from its bytes or, with argv[3] = "path", from its
// path; then a second session of the same model (the first also creates
// onnxruntime's environment), then one run on zeros.
// Prints BENCH-RESULT {requireMs, firstSessionMs, secondSessionMs, firstRunMs, peakRssMb}.
'use strict';
const fs = require('node:fs');

const started = performance.now();
const ort = require(`${process.env.TASK_ROOT}/node_modules/onnxruntime-node`);
const required = performance.now();
const options = JSON.parse(process.argv[2] ?? '{}');
const source = process.argv[3] === 'path' ? process.env.MODEL : fs.readFileSync(process.env.MODEL);

(async () => {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(source, options);
  const t1 = performance.now();
  const second = await ort.InferenceSession.create(source, options);
  const t2 = performance.now();
  const feeds = {};
  for (const input of session.inputMetadata) {
    const shape = input.shape.map((d) => (typeof d === 'number' ? d : 1));
    feeds[input.name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  const t3 = performance.now();
  await session.run(feeds);
  const t4 = performance.now();
  await second.release();
  const hwm = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    requireMs: required - started,
    firstSessionMs: t1 - t0,
    secondSessionMs: t2 - t1,
    firstRunMs: t4 - t3,
    peakRssMb: Number(/(\d+)/.exec(hwm)[1]) / 1024,
  })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
