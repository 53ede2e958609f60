#!/usr/bin/env node
// `npm start`: the local API (serverless-offline, stage `local`, 127.0.0.1)
// in the foreground. Once the server is ready it prints a curl that works:
// the API key is the one serverless-offline itself announces as accepted.
'use strict';
const { spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const root = path.resolve(__dirname, '..');
const port = process.env.PORT ?? '3000';
const lambdaPort = process.env.LAMBDA_PORT ?? '3002';
const customer = JSON.stringify(JSON.parse(readFileSync(path.join(root, 'examples/customer.json'), 'utf8')));

const child = spawn(
  process.execPath,
  [require.resolve('serverless/bin/serverless.js'), 'offline', 'start', '--stage', 'local', '--host', '127.0.0.1',
    '--httpPort', port, '--lambdaPort', lambdaPort],
  { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
);

let apiKey;
let announced = false;

function onLine(line, stream) {
  stream.write(`${line}\n`);
  const key = /Key with token: '([^']+)'/.exec(line);
  if (key) apiKey = key[1];
  if (!announced && /Server ready:/.test(line)) {
    announced = true;
    if (!apiKey) {
      console.error('start-local: serverless-offline printed no API key; see its output above.');
      return;
    }
    const base = `http://127.0.0.1:${port}/local`;
    console.log(`
The churn prediction API is running on ${base} (Ctrl-C stops it). Try:

  curl -s -X POST ${base}/predict \\
    -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' \\
    -d '${customer}'

  curl -s ${base}/health -H 'x-api-key: ${apiKey}'

Without the x-api-key header the same calls get 403.

Docs: open ${base}/docs in a browser, press Authorize, paste the key ${apiKey}
`);
  }
}

readline.createInterface({ input: child.stdout }).on('line', (line) => onLine(line, process.stdout));
readline.createInterface({ input: child.stderr }).on('line', (line) => onLine(line, process.stderr));

function stop() {
  try {
    process.kill(-child.pid, 'SIGTERM'); // the whole group: serverless-offline starts workers
  } catch {
    // already gone
  }
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
