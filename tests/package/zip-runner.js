// Runs inside a fresh Node process over an unzipped package, as Lambda would:
// requires the bundled handlers from LAMBDA_TASK_ROOT and calls them with the
// events listed in the JSON file named by argv[2]: [{fn, event}, ...].
// Prints one line `ZIP-RUNNER-RESULT {results: [{statusCode, body}], writes}`
// on stdout, beside whatever the handlers log there.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = process.env.LAMBDA_TASK_ROOT;
const calls = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function tryWrite(file) {
  try {
    fs.writeFileSync(file, 'probe');
    fs.rmSync(file);
    return 'ok';
  } catch (error) {
    return error.code;
  }
}

(async () => {
  const handlers = {
    predict: require(path.join(root, 'handlers/predict.js')).handler,
    health: require(path.join(root, 'handlers/health.js')).handler,
  };
  const results = [];
  for (const [i, { fn, event }] of calls.entries()) {
    const context = { awsRequestId: `zip-run-${i}`, functionName: fn, getRemainingTimeInMillis: () => 10000 };
    const { statusCode, body } = await handlers[fn](event, context);
    results.push({ statusCode, body });
  }
  const writes = {
    taskRoot: tryWrite(path.join(root, 'write-probe')),
    models: tryWrite(path.join(root, 'models/churn/write-probe')),
    tmp: tryWrite(path.join('/tmp', `write-probe-${process.pid}`)),
  };
  process.stdout.write(`\nZIP-RUNNER-RESULT ${JSON.stringify({ results, writes })}\n`);
})().catch((error) => {
  process.stderr.write(`zip-runner: ${error && error.message}\n`);
  process.exit(1);
});
