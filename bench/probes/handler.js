// The full predict handler of the packaged artifact, in-process and warm:
// middy chain, body parsing, validation, encoding, onnxruntime, response.
// argv: <warm iterations> [single]. Customers come as JSON on stdin.
// The handler writes its log and metric lines to stdout, as in Lambda; the
// figures come last, on one line: BENCH-RESULT {warmMs: [...per call],
// batch: {size: {recordsPerSecond, msPerBatch}}} (no batches with `single`).
'use strict';
const { handler } = require(`${process.env.TASK_ROOT}/handlers/predict.js`);

const iterations = Number(process.argv[2] ?? 10000);
const customers = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const context = { awsRequestId: 'bench-warm', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };
// A fresh event per call, as Lambda hands over: the handler parses its body.
const event = (body) => ({
  httpMethod: 'POST', path: '/predict', resource: '/predict', headers: { 'content-type': 'application/json' },
  body, isBase64Encoded: false, pathParameters: null, requestContext: {},
});

async function call(body) {
  const result = await handler(event(body), context);
  if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
}

/** Calls per size until at least `minMs` has passed; the median batch time. */
async function throughput(size, minMs) {
  const body = JSON.stringify({ instances: Array.from({ length: size }, (_, i) => customers[i % customers.length]) });
  const times = [];
  const until = performance.now() + minMs;
  while (performance.now() < until || times.length < 5) {
    const start = performance.now();
    await call(body);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  return { msPerBatch: ms, recordsPerSecond: (size / ms) * 1000, batches: times.length };
}

(async () => {
  const bodies = customers.map((c) => JSON.stringify(c));
  for (let i = 0; i < 500; i++) await call(bodies[i % bodies.length]); // warm the JIT
  const warmMs = [];
  for (let i = 0; i < iterations; i++) {
    const body = bodies[i % bodies.length];
    const start = performance.now();
    await call(body);
    warmMs.push(performance.now() - start);
  }
  const batch = {};
  if (process.argv[3] !== 'single') for (const size of [1, 10, 100, 1000]) batch[size] = await throughput(size, 1000);
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ warmMs, batch })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
