// The packaged predict handler on an image model, in-process and warm: a raw
// JPEG body (base64 in the event, as API Gateway hands a binary body over) to
// POST /models/$MODEL_NAME/predict, cycling through $JPEGS (a JSON list of
// files); then batches of $BATCH of them as {"instances": [{"b64": ...}]}.
// WARMUP calls, then CALLS timed; BATCH_WARMUP batches, then BATCHES timed;
// no loop past LOOP_SECONDS. The handler's log lines go to stdout, as in
// Lambda; the figures come last, on one line: BENCH-RESULT {singleMs: [...],
// batchMs: [...], peakRssMb} (VmHWM after every call).
'use strict';
const { readFileSync } = require('node:fs');
const { handler } = require(`${process.env.TASK_ROOT}/handlers/predict.js`);

const name = process.env.MODEL_NAME;
const jpegs = JSON.parse(process.env.JPEGS).map((file) => readFileSync(file));
const n = (key, fallback) => Number(process.env[key] ?? fallback);
const context = { awsRequestId: 'bench-image', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };
const event = (contentType, body, isBase64Encoded) => ({
  httpMethod: 'POST', path: `/models/${name}/predict`, resource: '/models/{name}/predict', pathParameters: { name },
  headers: { 'content-type': contentType }, body, isBase64Encoded, requestContext: {},
});

async function call(e) {
  const result = await handler(e, context);
  if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
}

async function timed(warmup, count, make) {
  const until = performance.now() + n('LOOP_SECONDS', 120) * 1000;
  const times = [];
  for (let i = 0; i < warmup + count && performance.now() < until; i++) {
    // A fresh event per call, as Lambda hands over.
    const e = make(i);
    const start = performance.now();
    await call(e);
    if (i >= warmup) times.push(performance.now() - start);
  }
  return times;
}

(async () => {
  const bodies = jpegs.map((b) => b.toString('base64'));
  const singleMs = await timed(n('WARMUP', 20), n('CALLS', 200), (i) => event('image/jpeg', bodies[i % bodies.length], true));
  const batch = JSON.stringify({ instances: bodies.slice(0, n('BATCH', 8)).map((b64) => ({ b64 })) });
  const batchMs = await timed(n('BATCH_WARMUP', 3), n('BATCHES', 20), () => event('application/json', batch, false));
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ singleMs, batchMs, peakRssMb: Number(/(\d+)/.exec(line)[1]) / 1024 })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
