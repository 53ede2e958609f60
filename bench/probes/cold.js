// One cold start, in a fresh process: require a packaged handler
// (handlers/$HANDLER.js under TASK_ROOT, the unzipped artifact) and answer
// its first event ($EVENT, JSON). As in Lambda, the event arrives after init
// through the event loop (the runtime fetches it over HTTP), so work the
// handler started while loading (a model's session) runs first. The registry
// marks each model ready on the performance timeline (lib/registry.ts), which
// splits the wait into module load, model loading and the first call.
// After the handler's own log and metric lines, prints one line:
// BENCH-RESULT {moduleLoadMs, sessionMs, firstCallMs, totalMs, peakRssMb, fetchMs, goldenMs, compiledSchemas,
// answeredNs}, the last CLOCK_MONOTONIC (process.hrtime), which all processes share on Linux, so the
// parent can time from spawn to the answer.
'use strict';
const started = performance.now();
const { handler } = require(`${process.env.TASK_ROOT}/handlers/${process.env.HANDLER ?? 'predict'}.js`);
const loaded = performance.now();

const event = JSON.parse(process.env.EVENT);
const context = { awsRequestId: 'bench-cold', functionName: process.env.HANDLER ?? 'predict', getRemainingTimeInMillis: () => 10000 };

// This process's own high-water mark: getrusage's maxrss starts from the
// parent's at fork, so a large parent would inflate it.
function peakRssMb() {
  const line = require('node:fs').readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line)[1]) / 1024;
}

(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  const first = await handler(event, context);
  const answered = performance.now();
  const answeredNs = process.hrtime.bigint();
  if (first.statusCode !== 200) {
    console.error(`first call answered ${first.statusCode}: ${first.body}`);
    process.exit(1);
  }
  const ready = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('model-ready ') && m.startTime <= answered);
  const readyAt = ready.length > 0 ? Math.max(...ready.map((m) => m.startTime)) : loaded;
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    moduleLoadMs: loaded - started,
    sessionMs: readyAt - loaded,
    firstCallMs: answered - readyAt,
    totalMs: answered - started,
    peakRssMb: peakRssMb(),
    // A model store's downloads (lib/registry.ts marks each; part of sessionMs).
    fetchMs: performance.getEntriesByType('mark').filter((m) => m.name.startsWith('model-fetched ') && m.startTime <= answered).reduce((sum, m) => sum + m.detail.ms, 0),
    // The golden self-tests of the models loaded (part of sessionMs).
    goldenMs: ready.reduce((sum, m) => sum + m.detail.goldenMs, 0),
    // Schemas compiled at run time rather than found precompiled (lib/ajv.ts).
    compiledSchemas: performance.getEntriesByName('schema-compiled').length,
    answeredNs: answeredNs.toString(),
  })}\n`);
})();
