// The full predict handler of the packaged artifact, in-process and warm:
// middy chain, body parsing, validation, encoding, onnxruntime, response.
// argv: <measured calls> [single]. Customers come as JSON on stdin.
// WARMUP (env): calls made before the measured ones; every call from the
// 501st on is timed, so the figures come for two windows: `early`, the
// <measured calls> after 500 warm-up calls (V8 still compiling hot code), and
// `warm`, the <measured calls> after WARMUP (a container that has served that
// many requests). FIRST_TRACE_ID (env): the trace header of the first call
// only, e.g. a sampled one, which opens the X-Ray daemon's socket as a
// container's first sampled request does (lib/observability/xray-daemon.ts).
// The handler writes its log and metric lines to stdout, as in Lambda; the
// figures come last, on one line: BENCH-RESULT {earlyMs: [...], warmMs: [...],
// batch: {size: {recordsPerSecond, msPerBatch}}, csvBatch: {...}} (no batches
// with `single`). csvBatch: the same 1,000 records as a CSV body (a header
// row, then a row per record), Content-Type text/csv.
'use strict';
const { handler } = require(`${process.env.TASK_ROOT}/handlers/predict.js`);

const EARLY_WARMUP = 500;
const measured = Number(process.argv[2] ?? 10000);
const warmup = Math.max(Number(process.env.WARMUP ?? EARLY_WARMUP), EARLY_WARMUP + measured);
const customers = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const context = { awsRequestId: 'bench-warm', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };
// A fresh event per call, as Lambda hands over: the handler parses its body.
const event = (body, contentType = 'application/json') => ({
  httpMethod: 'POST', path: '/predict', resource: '/predict', headers: { 'content-type': contentType },
  body, isBase64Encoded: false, pathParameters: null, requestContext: {},
});

async function call(body, contentType) {
  const result = await handler(event(body, contentType), context);
  if (result.statusCode !== 200) throw new Error(`answered ${result.statusCode}: ${result.body}`);
}

const batchOf = (size) => Array.from({ length: size }, (_, i) => customers[i % customers.length]);
const jsonBody = (records) => JSON.stringify({ instances: records });
function csvBody(records) {
  const columns = Object.keys(records[0]);
  // The parity customers hold no commas, quotes or line breaks: no value needs quoting.
  return [columns.join(','), ...records.map((r) => columns.map((c) => String(r[c])).join(','))].join('\n');
}

/** Calls per size until at least `minMs` has passed; the median batch time. */
async function throughput(size, minMs, format = jsonBody, contentType = 'application/json') {
  const body = format(batchOf(size));
  const times = [];
  const until = performance.now() + minMs;
  while (performance.now() < until || times.length < 5) {
    const start = performance.now();
    await call(body, contentType);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  return { msPerBatch: ms, recordsPerSecond: (size / ms) * 1000, batches: times.length };
}

(async () => {
  const bodies = customers.map((c) => JSON.stringify(c));
  const steady = process.env._X_AMZN_TRACE_ID;
  if (process.env.FIRST_TRACE_ID) process.env._X_AMZN_TRACE_ID = process.env.FIRST_TRACE_ID;
  const timed = [];
  for (let i = 0; i < warmup + measured; i++) {
    const body = bodies[i % bodies.length];
    const start = performance.now();
    await call(body);
    if (i >= EARLY_WARMUP) timed.push(performance.now() - start);
    if (i === 0 && process.env.FIRST_TRACE_ID) {
      if (steady === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = steady;
    }
  }
  const earlyMs = timed.slice(0, measured);
  const warmMs = timed.slice(warmup - EARLY_WARMUP);
  const batch = {};
  let csvBatch;
  if (process.argv[3] !== 'single') {
    for (const size of [1, 10, 100, 1000]) batch[size] = await throughput(size, 1000);
    csvBatch = await throughput(1000, 1000, csvBody, 'text/csv');
  }
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ earlyMs, warmMs, batch, csvBatch })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
