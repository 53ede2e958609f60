#!/usr/bin/env node
// Sizing figures for serverless.yml's memorySize: unzips the packaged
// artifact (npm run package first) and, in fresh Node processes started from
// another directory, loads the bundled predict handler and calls it.
// Usage: node bench/package-sizing.js [.artifacts/dev/ml-inference.zip] [runs]
// Prints the figures and writes them to bench/results-sizing.json.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const zip = path.resolve(process.argv[2] ?? path.join(root, '.artifacts/dev/ml-inference.zip'));
const runs = Number(process.argv[3] ?? 10);
const customer = readFileSync(path.join(root, 'examples/customer.json'), 'utf8');

// Runs inside the child: one container's life, from require to warm calls.
const probe = `
const t0 = performance.now();
const { handler } = require(process.env.TASK_ROOT + '/handlers/predict.js');
const t1 = performance.now();
const customer = JSON.stringify(JSON.parse(process.env.CUSTOMER));
const event = (body) => ({ httpMethod: 'POST', path: '/predict', headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false, requestContext: {} });
const context = { awsRequestId: 'bench', functionName: 'predict', getRemainingTimeInMillis: () => 10000 };
(async () => {
  const first = await handler(event(customer), context);
  const t2 = performance.now();
  if (first.statusCode !== 200) throw new Error('first call answered ' + first.statusCode);
  const warm = [];
  for (let i = 0; i < 2000; i++) { const s = performance.now(); await handler(event(customer), context); warm.push(performance.now() - s); }
  warm.sort((a, b) => a - b);
  const batch = JSON.stringify({ instances: Array(1000).fill(JSON.parse(customer)) });
  const s = performance.now(); const b = await handler(event(batch), context); const batchMs = performance.now() - s;
  if (b.statusCode !== 200) throw new Error('batch answered ' + b.statusCode);
  process.stdout.write(JSON.stringify({ requireMs: t1 - t0, firstCallMs: t2 - t1, warmP50Ms: warm[1000], warmP99Ms: warm[1980], batch1000Ms: batchMs, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
})().catch((e) => { console.error(e.message); process.exit(1); });`;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const dir = mkdtempSync(path.join(tmpdir(), 'sizing-'));
try {
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  const unzippedBytes = Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['-e', probe], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, TASK_ROOT: dir, CUSTOMER: customer, DEFAULT_MODEL: 'churn', POWERTOOLS_LOG_LEVEL: 'WARN', NODE_ENV: 'production' },
    });
    samples.push(JSON.parse(out.toString()));
  }
  const figures = { zippedMB: statSync(zip).size / 1e6, unzippedMB: unzippedBytes / 1e6, runs };
  for (const key of Object.keys(samples[0])) figures[`median_${key}`] = median(samples.map((s) => s[key]));
  const result = { measured: new Date().toISOString(), node: process.version, artifact: path.relative(root, zip), figures };
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(22)} ${typeof v === 'number' ? v.toFixed(3) : v}`);
  writeFileSync(path.join(__dirname, 'results-sizing.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
