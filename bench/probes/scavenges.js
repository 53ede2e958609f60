// Scavenges of the packaged predict handler, counted rather than timed
// (bench/early-window.md, "What holds the p99.9 after the warm-up"):
// WARMUP (env) single-customer calls, then <measured calls> (argv) observed
// through perf_hooks' gc entries. A count does not move with the machine's
// load; the pauses' mean does. Then <measured calls> more, each with the heap's
// used bytes before and after it: their growth, over the calls no collection
// fell in, is what a call allocates (plus the ~100 bytes of reading it).
// Customers come as JSON on stdin. The figures come last, on one line:
// BENCH-RESULT {calls, scavenges, meanScavengeMs, markCompacts, newSpaceMiB,
// kibPerCall}.
'use strict';
const { PerformanceObserver, constants } = require('node:perf_hooks');
const v8 = require('node:v8');
const { handler } = require(`${process.env.TASK_ROOT}/handlers/predict.js`);

const measured = Number(process.argv[2] ?? 10000);
const warmup = Number(process.env.WARMUP ?? 20000);
const bodies = JSON.parse(require('node:fs').readFileSync(0, 'utf8')).map((c) => JSON.stringify(c));
const context = { awsRequestId: 'bench-scavenges', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };
// A fresh event per call, as Lambda hands over (as bench/probes/handler.js).
const event = (body) => ({
  httpMethod: 'POST', path: '/predict', resource: '/predict', headers: { 'content-type': 'application/json' },
  body, isBase64Encoded: false, pathParameters: null, requestContext: {},
});

(async () => {
  for (let i = 0; i < warmup; i++) await handler(event(bodies[i % bodies.length]), context);
  let scavenges = 0;
  let markCompacts = 0;
  let scavengeMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        scavenges++;
        scavengeMs += entry.duration;
      } else markCompacts++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let i = 0; i < measured; i++) await handler(event(bodies[i % bodies.length]), context);
  // gc entries are delivered on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  let grown = 0;
  let counted = 0;
  for (let i = 0; i < measured; i++) {
    const before = process.memoryUsage().heapUsed;
    await handler(event(bodies[i % bodies.length]), context);
    const delta = process.memoryUsage().heapUsed - before;
    // A call a collection fell in shrinks the heap: left out.
    if (delta > 0) {
      grown += delta;
      counted++;
    }
  }
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    calls: measured,
    scavenges,
    meanScavengeMs: scavenges > 0 ? scavengeMs / scavenges : 0,
    markCompacts,
    newSpaceMiB: newSpace / 2 ** 20,
    kibPerCall: grown / Math.max(1, counted) / 1024,
  })}\n`);
})().catch((e) => { console.error(e.message); process.exit(1); });
