// Runs `serverless package` once per entry of stages.js, into
// .artifacts/<name>/. No login, no network, no AWS credentials: the CLI only
// compiles the template and builds the zip. `timeout` because the CLI can
// print an error and then hang (TOOLCHAIN.md).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { stages } = require('./stages');

const root = path.resolve(__dirname, '..', '..');
const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });

module.exports = async function packageStages() {
  for (const { name, stage, args = [] } of stages) {
    const started = Date.now();
    const out = path.join(root, '.artifacts', name);
    execFileSync('timeout', ['300', process.execPath, cli, 'package', '--stage', stage, '--package', out, ...args], {
      cwd: root,
      stdio: ['ignore', process.stderr, 'inherit'],
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    process.stderr.write(`packaged ${name} (stage ${stage}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
};
