// One invocation of the batch function (handlers/batch.js) from an unzipped
// package, as Step Functions invokes it: the event on stdin, the handler's
// own duration (what Lambda bills) and its answer on a BENCH-RESULT line.
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');

(async () => {
  const event = JSON.parse(readFileSync(0, 'utf8'));
  const { handler } = require(path.join(process.env.LAMBDA_TASK_ROOT, 'handlers/batch.js'));
  const started = performance.now();
  const result = await handler(event);
  const ms = performance.now() - started;
  process.stdout.write(`\nBENCH-RESULT ${JSON.stringify({ ms, result })}\n`);
})().catch((error) => {
  process.stderr.write(`batch-step: ${error && error.name}: ${error && error.message}\n`);
  process.exit(1);
});
