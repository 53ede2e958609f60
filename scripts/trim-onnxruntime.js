#!/usr/bin/env node
// Keeps only onnxruntime-node's linux/<arch> binaries in a packaged
// node_modules (run by serverless-esbuild in its build folder, see
// serverless.yml). Usage: node trim-onnxruntime.js x64|arm64
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const arch = process.argv[2];
if (arch !== 'x64' && arch !== 'arm64') {
  console.error(`trim-onnxruntime: expected x64 or arm64, got ${arch}`);
  process.exit(2);
}
const binRoot = path.resolve('node_modules/onnxruntime-node/bin/napi-v6');
const keep = path.join(binRoot, 'linux', arch);
if (!fs.existsSync(keep)) {
  console.error(`trim-onnxruntime: ${keep} does not exist`);
  process.exit(1);
}
for (const platform of fs.readdirSync(binRoot)) {
  for (const dirArch of fs.readdirSync(path.join(binRoot, platform))) {
    const dir = path.join(binRoot, platform, dirArch);
    if (dir !== keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (fs.readdirSync(path.join(binRoot, platform)).length === 0) fs.rmSync(path.join(binRoot, platform), { recursive: true });
}
console.log(`trim-onnxruntime: kept ${path.relative(process.cwd(), keep)}`);
