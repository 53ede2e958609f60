#!/usr/bin/env node
// Trims the node_modules that serverless-esbuild installs for the Lambda zip
// (it runs this in its build folder, see serverless.yml). The only external
// is onnxruntime-node, published for six platforms (288 MB, over Lambda's
// 250 MB unzipped limit) and with install-time dependencies (adm-zip,
// global-agent and their trees) that its runtime code never requires.
// Keeps: onnxruntime-node and onnxruntime-common, their CommonJS code, and
// the linux/<arch> binaries only. Usage: node trim-onnxruntime.js x64|arm64
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const RUNTIME_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'];

const arch = process.argv[2];
if (arch !== 'x64' && arch !== 'arm64') {
  console.error(`trim-onnxruntime: expected x64 or arm64, got ${arch}`);
  process.exit(2);
}

const modules = path.resolve('node_modules');
const remove = (p) => fs.rmSync(p, { recursive: true, force: true });

// 1. Nothing but the runtime packages.
for (const entry of fs.readdirSync(modules)) {
  if (!RUNTIME_PACKAGES.includes(entry)) remove(path.join(modules, entry));
}

// 2. One platform's binaries.
const binRoot = path.join(modules, 'onnxruntime-node/bin/napi-v6');
const keep = path.join(binRoot, 'linux', arch);
if (!fs.existsSync(path.join(keep, 'onnxruntime_binding.node'))) {
  console.error(`trim-onnxruntime: no binding at ${keep}`);
  process.exit(1);
}
for (const platform of fs.readdirSync(binRoot)) {
  for (const dirArch of fs.readdirSync(path.join(binRoot, platform))) {
    const dir = path.join(binRoot, platform, dirArch);
    if (dir !== keep) remove(dir);
  }
  if (fs.readdirSync(path.join(binRoot, platform)).length === 0) remove(path.join(binRoot, platform));
}

// 3. No sources, typings, maps, ESM copies or install scripts: `require`
// resolves dist/index.js (node) and dist/cjs (common) only.
for (const dir of ['onnxruntime-node/lib', 'onnxruntime-node/script', 'onnxruntime-common/lib', 'onnxruntime-common/dist/esm']) {
  remove(path.join(modules, dir));
}
function prune(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) prune(full);
    else if (/\.(ts|map|md)$/.test(entry.name)) remove(full);
  }
}
for (const name of RUNTIME_PACKAGES) prune(path.join(modules, name));

console.log(`trim-onnxruntime: kept ${RUNTIME_PACKAGES.join(', ')} with linux/${arch} binaries`);
