#!/usr/bin/env node
// Trims the node_modules that serverless-esbuild installs for the Lambda zip
// (it runs this in its build folder, see serverless.yml). The externals are
// the two packages with native code:
// - onnxruntime-node, published for six platforms (288 MB, over Lambda's
//   250 MB unzipped limit) and with install-time dependencies (adm-zip,
//   global-agent and their trees) that its runtime code never requires;
// - sharp, whose libvips comes as one optional package per platform: npm
//   installs the deployed architecture's (serverless.yml passes --cpu and
//   --os), and any other found here is removed.
// Keeps: onnxruntime-node and onnxruntime-common (their CommonJS code, the
// linux/<arch> binaries only), sharp with its three small dependencies and
// @img/sharp-linux-<arch> and @img/sharp-libvips-linux-<arch>.
// Usage: node trim-natives.js x64|arm64
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const RUNTIME_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'];
// sharp's own dependencies (package.json "dependencies"), needed at run time.
const SHARP_PACKAGES = ['sharp', 'detect-libc', 'semver'];
// Ajv's compiler and its dependencies: loaded only for a schema not precompiled (a model added after packaging).
const AJV_PACKAGES = ['ajv', 'fast-deep-equal', 'fast-uri', 'json-schema-traverse', 'require-from-string'];
// The AWS SDK's clients (serverless.yml's externals: S3, Step Functions, API
// Gateway, each loaded on first use) and their dependencies, read from the
// installed tree (a few dozen packages of @aws-sdk, @smithy and tslib): too
// many to list, and they move with every SDK release.
const SDK_ROOTS = ['@aws-sdk/client-s3', '@aws-sdk/client-sfn', '@aws-sdk/client-api-gateway'];

const arch = process.argv[2];
if (arch !== 'x64' && arch !== 'arm64') {
  console.error(`trim-natives: expected x64 or arm64, got ${arch}`);
  process.exit(2);
}

const modules = path.resolve('node_modules');
const remove = (p) => fs.rmSync(p, { recursive: true, force: true });

/** A package and everything its package.json "dependencies" name, recursively, as installed (top-level: npm hoists them). */
function closureOf(name, into = new Set()) {
  const manifest = path.join(modules, name, 'package.json');
  if (into.has(name) || !fs.existsSync(manifest)) return into;
  into.add(name);
  for (const dependency of Object.keys(JSON.parse(fs.readFileSync(manifest, 'utf8')).dependencies ?? {})) closureOf(dependency, into);
  return into;
}
const SDK_PACKAGES = [...SDK_ROOTS.reduce((into, name) => closureOf(name, into), new Set())];
const kept = (name) => RUNTIME_PACKAGES.includes(name) || SHARP_PACKAGES.includes(name) || AJV_PACKAGES.includes(name) || SDK_PACKAGES.includes(name);

// 1. Nothing but the runtime packages; of @img, sharp's colour helper and this platform's two packages.
const IMG_PACKAGES = ['colour', `sharp-linux-${arch}`, `sharp-libvips-linux-${arch}`];
for (const entry of fs.readdirSync(modules)) {
  if (entry === '@img') {
    for (const scoped of fs.readdirSync(path.join(modules, entry))) {
      if (!IMG_PACKAGES.includes(scoped)) remove(path.join(modules, entry, scoped));
    }
  } else if (entry.startsWith('@')) {
    // A scope (@aws-sdk, @smithy, …): its packages one by one.
    for (const scoped of fs.readdirSync(path.join(modules, entry))) {
      if (!kept(`${entry}/${scoped}`)) remove(path.join(modules, entry, scoped));
    }
    if (fs.readdirSync(path.join(modules, entry)).length === 0) remove(path.join(modules, entry));
  } else if (!kept(entry)) {
    remove(path.join(modules, entry));
  }
}
// npm installs the optional packages of the machine it runs on, and
// serverless-esbuild's `npm prune` (run without our --cpu) drops any other:
// packaging for another architecture (arm64 on x64) fetches them here, at
// the versions sharp pins, as npm would install them.
const sharpPins = JSON.parse(fs.readFileSync(path.join(modules, 'sharp', 'package.json'), 'utf8')).optionalDependencies;
for (const name of IMG_PACKAGES.slice(1)) {
  const dest = path.join(modules, '@img', name);
  if (fs.existsSync(path.join(dest, 'package.json'))) continue;
  const spec = `@img/${name}@${sharpPins[`@img/${name}`]}`;
  const scratch = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'trim-natives-'));
  try {
    const tarball = execFileSync('npm', ['pack', spec, '--silent', '--prefer-offline', '--pack-destination', scratch], { encoding: 'utf8' }).trim().split('\n').pop();
    fs.mkdirSync(dest, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', dest, '--strip-components=1']);
  } catch (error) {
    console.error(`trim-natives: could not fetch ${spec} for linux/${arch}: ${error.message}`);
    process.exit(1);
  } finally {
    remove(scratch);
  }
}

// 2. One platform's binaries.
const binRoot = path.join(modules, 'onnxruntime-node/bin/napi-v6');
const keep = path.join(binRoot, 'linux', arch);
if (!fs.existsSync(path.join(keep, 'onnxruntime_binding.node'))) {
  console.error(`trim-natives: no binding at ${keep}`);
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
// sharp's C++ sources and install scripts: its prebuilt binding is in @img/sharp-linux-<arch>.
for (const dir of ['sharp/src', 'sharp/install']) remove(path.join(modules, dir));
for (const name of [...SHARP_PACKAGES, ...IMG_PACKAGES.map((p) => `@img/${p}`)]) {
  if (fs.existsSync(path.join(modules, name))) prune(path.join(modules, name));
}

// Ajv's TypeScript sources (lib/) and typings, its dependencies' tests: Ajv's CommonJS is in dist/.
for (const dir of ['ajv/lib', 'fast-uri/test', 'fast-uri/benchmark', 'fast-uri/types', 'json-schema-traverse/spec']) remove(path.join(modules, dir));
for (const name of AJV_PACKAGES) {
  if (fs.existsSync(path.join(modules, name))) prune(path.join(modules, name));
}

// The SDK clients' CommonJS only: their ES modules and typings are not loaded.
for (const name of SDK_PACKAGES) {
  for (const dir of ['dist-es', 'dist-types', 'dist-es5']) remove(path.join(modules, name, dir));
  if (fs.existsSync(path.join(modules, name))) prune(path.join(modules, name));
}

console.log(`trim-natives: kept ${[...RUNTIME_PACKAGES, ...SHARP_PACKAGES, ...AJV_PACKAGES].join(', ')} with linux/${arch} binaries, and the AWS SDK's ${SDK_ROOTS.join(', ')} with ${SDK_PACKAGES.length - SDK_ROOTS.length} dependencies`);
