// Runs `serverless package` once per entry of stages.js, into
// .artifacts/<name>/. No login, no network, no AWS credentials: the CLI only
// compiles the template and builds the zip. `timeout` because the CLI can
// print an error and then hang (TOOLCHAIN.md).
//
// The CLI's output is kept in .artifacts/test-output/package-<name>.log and
// printed only when it fails; on success one line says what took how long.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { stages } = require('./stages');

const root = path.resolve(__dirname, '..', '..');
const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
const logs = path.join(root, '.artifacts', 'test-output');

module.exports = async function packageStages() {
  mkdirSync(logs, { recursive: true });
  const took = [];
  for (const { name, stage, args = [] } of stages) {
    const started = Date.now();
    const out = path.join(root, '.artifacts', name);
    const run = spawnSync('timeout', ['300', process.execPath, cli, 'package', '--stage', stage, '--package', out, ...args], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    const log = path.join(logs, `package-${name}.log`);
    writeFileSync(log, output);
    if (run.status !== 0) {
      const why = run.error ? run.error.message : run.status === 124 ? 'timed out after 300 s' : `exit status ${run.status ?? run.signal}`;
      throw new Error(`serverless package --stage ${stage} ${args.join(' ')} failed (${why}); its output (also in ${path.relative(root, log)}):\n${output}`);
    }
    took.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  process.stderr.write(`\nserverless package, once per stage (tests/package/stages.js): ${took.join(', ')}\n`);
};
