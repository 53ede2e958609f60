// One cold start, in a fresh process: require the packaged predict handler
// from TASK_ROOT (the unzipped artifact) and answer the first prediction.
// Loading starts at module scope (as in Lambda's init); the registry marks
// the moment the session is ready on the performance timeline, which splits
// the wait into module load, session creation and the first call.
// After the handler's own log and metric lines, prints one line:
// BENCH-RESULT {moduleLoadMs, sessionMs, firstCallMs, totalMs, peakRssMb}.
'use strict';
const started = performance.now();
const { handler: predict } = require(`${process.env.TASK_ROOT}/handlers/predict.js`);
const loaded = performance.now();

const event = {
  httpMethod: 'POST', path: '/predict', resource: '/predict', headers: { 'content-type': 'application/json' },
  body: process.env.CUSTOMER, isBase64Encoded: false, pathParameters: null, requestContext: {},
};
const context = { awsRequestId: 'bench-cold', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };

// This process's own high-water mark: getrusage's maxrss starts from the
// parent's at fork, so a large parent would inflate it.
function peakRssMb() {
  const line = require('node:fs').readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line)[1]) / 1024;
}

const readyMark = () => performance.getEntriesByType('mark').find((m) => m.name.startsWith('model-ready '));

(async () => {
  while (!readyMark()) await new Promise((resolve) => setTimeout(resolve, 0.5));
  const sessionReady = readyMark().startTime;
  const first = await predict(event, context);
  const answered = performance.now();
  if (first.statusCode !== 200) {
    console.error(`first call answered ${first.statusCode}: ${first.body}`);
    process.exit(1);
  }
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({
    moduleLoadMs: loaded - started,
    sessionMs: sessionReady - loaded,
    firstCallMs: answered - sessionReady,
    totalMs: answered - started,
    peakRssMb: peakRssMb(),
  })}\n`);
})();
