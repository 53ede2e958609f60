// jest's own runner, marked serial: the package tests run one file at a
// time in jest's process even when the unit tests run in workers. They must:
// `serverless invoke local`, serverless-offline and `serverless package`
// build into the same .esbuild/ folder (and the CLI deletes it when done), and
// each local API they start holds ports and a serverless-offline of its own.
'use strict';
const path = require('node:path');

// jest-runner as jest itself resolves it (a dependency of @jest/core).
const core = path.dirname(require.resolve('@jest/core', { paths: [path.dirname(require.resolve('jest/package.json'))] }));
const { default: TestRunner } = require(require.resolve('jest-runner', { paths: [core] }));

class SerialRunner extends TestRunner {
  isSerial = true;
}

module.exports = SerialRunner;
