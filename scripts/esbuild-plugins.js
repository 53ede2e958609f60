// esbuild plugins for the functions' bundles (serverless.yml,
// custom.esbuild.plugins: serverless-esbuild loads this file for `serverless
// package`, deploy and `npm start`).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

let generated;
/**
 * The module that replaces lib/validators/precompiled.ts: Ajv's standalone
 * code for every schema the functions compile for the models in models/ (what
 * the package ships), from scripts/precompile-validators.ts. Generated once
 * per process: serverless-esbuild builds each function's bundle in turn.
 */
function precompiledModule() {
  if (generated === undefined) {
    const script = path.join(root, '.esbuild', 'precompile-validators.js');
    esbuild.buildSync({
      entryPoints: [path.join(root, 'scripts', 'precompile-validators.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      external: ['onnxruntime-node'],
      outfile: script,
      logLevel: 'warning',
    });
    generated = execFileSync(process.execPath, [script, path.join(root, 'models')], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  }
  return generated;
}

/** Compiling the schemas was half of a cold start's JavaScript (BENCHMARKS.md, "Cold start"). */
const precompiledValidators = {
  name: 'precompiled-validators',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]validators[\\/]precompiled\.ts$/ }, () => ({ contents: precompiledModule(), loader: 'js', resolveDir: root }));
  },
};

module.exports = [precompiledValidators];
