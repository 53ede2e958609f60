// Runs `serverless package` once per entry of stages.js, into
// .artifacts/<name>/. No login, no network, no AWS credentials: the CLI only
// compiles the template and builds the zip. `timeout` because the CLI can
// print an error and then hang (TOOLCHAIN.md).
//
// The `local` stage's template and state also go where `npm start` looks for
// them (.local-gateway/, scripts/local-gateway/compiled-template.ts), so the
// local API the package tests start reads this compilation instead of running
// `serverless package --stage local` a second time.
//
// The CLI's output is kept in .artifacts/test-output/package-<name>.log and
// printed only when it fails; on success one line per stage says how long it
// took and how big its zip is.
'use strict';
const { spawnSync } = require('node:child_process');
const { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { templateHash } = require('../../scripts/local-gateway/compiled-template');
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
    took.push(`  ${name.padEnd(10)} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s   ${zipSizes(out)}`);
    if (stage === 'local') seedLocalGateway(out, args);
  }
  process.stderr.write(`\nserverless package, once per stage (tests/package/stages.js):\n${took.join('\n')}\n`);
};

const MIB = 1024 * 1024;

/** "19.6 MiB zipped, 47.1 MiB unzipped, 59 files" (the budgets are checked in zip-contents.test.ts). */
function zipSizes(out) {
  const zip = path.join(out, 'ml-inference.zip');
  const listing = spawnSync('unzip', ['-l', zip], { encoding: 'utf8', maxBuffer: 16 * MIB });
  const total = /^\s*(\d+)\s+(\d+) files?\s*$/m.exec(listing.stdout ?? '');
  const unzipped = total ? `, ${(Number(total[1]) / MIB).toFixed(1)} MiB unzipped, ${total[2]} files` : '';
  return `${(statSync(zip).size / MIB).toFixed(1)} MiB zipped${unzipped}`;
}

/** The compiled local template where `npm start` reads it, as compiledTemplate() would have written it. */
function seedLocalGateway(out, args) {
  const params = args.filter((a) => a.startsWith('--param=')).map((a) => a.slice('--param='.length));
  if (params.length !== args.length) return; // npm start passes --param only
  const folder = path.join(root, '.local-gateway', templateHash(root, 'local', params));
  if (existsSync(path.join(folder, 'cloudformation-template-update-stack.json'))) return;
  const seeding = `${folder}.seeding-${process.pid}`;
  mkdirSync(seeding, { recursive: true });
  for (const name of ['cloudformation-template-update-stack.json', 'serverless-state.json']) copyFileSync(path.join(out, name), path.join(seeding, name));
  rmSync(folder, { recursive: true, force: true });
  renameSync(seeding, folder);
}
