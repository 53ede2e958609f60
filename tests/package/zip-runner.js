// Runs inside a fresh Node process over an unzipped package, as Lambda would:
// requires the bundled handlers from LAMBDA_TASK_ROOT and calls them with the
// events listed in the JSON file named by argv[2]: [{fn, event, traceId?}, ...].
// Prints one line `ZIP-RUNNER-RESULT {results: [{statusCode, body, headers}], writes, compiledSchemas, pid, managedInstancesTests, natives}`
// on stdout, beside whatever the handlers log there; or, when a bundle throws
// while it loads (a failed init), `ZIP-RUNNER-INIT-ERROR {fn, errorType,
// errorMessage, stack}`, what Lambda's runtime reports then, and exits 1.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = process.env.LAMBDA_TASK_ROOT;

// How often the bundles read AWS_LAMBDA_MAX_CONCURRENCY (Powertools' test for
// Lambda Managed Instances, answered once per bundle: scripts/esbuild-plugins.js).
let managedInstancesTests = 0;
process.env = new Proxy(process.env, {
  get(env, key) {
    if (key === 'AWS_LAMBDA_MAX_CONCURRENCY') managedInstancesTests++;
    return env[key];
  },
  // Writes go straight to the environment, as Lambda's runtime sets the trace header.
  set(env, key, value) {
    env[key] = value;
    return true;
  },
});
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
  // Each function's bundle is loaded on its first call, as its container would.
  const handlers = {};
  const results = [];
  for (const [i, { fn, event, traceId }] of calls.entries()) {
    // Lambda sets the invocation's trace header in the environment.
    if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
    if (!(fn in handlers)) {
      try {
        handlers[fn] = require(path.join(root, `handlers/${fn}.js`)).handler;
      } catch (error) {
        const report = { fn, errorType: error && error.name, errorMessage: error && error.message, stack: String(error && error.stack) };
        process.stdout.write(`\nZIP-RUNNER-INIT-ERROR ${JSON.stringify(report)}\n`);
        process.exit(1);
      }
    }
    const context = { awsRequestId: `zip-run-${i}`, functionName: fn, getRemainingTimeInMillis: () => 10000 };
    const { statusCode, body, headers } = await handlers[fn](event, context);
    results.push({ statusCode, body, headers });
  }
  const writes = {
    taskRoot: tryWrite(path.join(root, 'write-probe')),
    models: tryWrite(path.join(root, 'models/churn/write-probe')),
    tmp: tryWrite(path.join('/tmp', `write-probe-${process.pid}`)),
  };
  // Schemas the bundles compiled at run time rather than finding them precompiled (lib/ajv.ts marks each).
  const compiledSchemas = performance.getEntriesByName('schema-compiled').length;
  // Which native libraries the process mapped: libvips (sharp) only where a picture was decoded.
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const natives = { onnxruntime: maps.includes('libonnxruntime'), libvips: maps.includes('libvips') };
  process.stdout.write(`\nZIP-RUNNER-RESULT ${JSON.stringify({ results, writes, compiledSchemas, pid: process.pid, managedInstancesTests, natives })}\n`);
})().catch((error) => {
  process.stderr.write(`zip-runner: ${error && error.message}\n`);
  process.exit(1);
});
