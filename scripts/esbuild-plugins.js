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
 * Ajv's standalone code for every schema the functions compile for the
 * models in models/ (what the package ships), from
 * scripts/precompile-validators.ts: {module, dir, files}. Generated once per
 * process: serverless-esbuild builds each function's bundle in turn.
 */
function precompiled() {
  if (generated === undefined) {
    const script = path.join(root, '.esbuild', 'precompile-validators.js');
    esbuild.buildSync({
      entryPoints: [path.join(root, 'scripts', 'precompile-validators.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      external: ['onnxruntime-node', 'onnxruntime-common', 'sharp'],
      outfile: script,
      logLevel: 'warning',
    });
    // With PATH alone: the validators depend on the models' files only, and
    // the script loads lib/settings.ts, which validates the environment it
    // starts in. The packager's shell settings must neither fail a package
    // nor shape one (README, "Settings").
    const env = { PATH: process.env.PATH ?? '' };
    generated = JSON.parse(execFileSync(process.execPath, [script, path.join(root, 'models')], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  }
  return generated;
}

/**
 * Builds `contents` (CommonJS, its requires resolved from the project) into
 * a file of its own beside the bundles of `build`, with the functions' own
 * options: serverless-esbuild zips everything in the bundles' folder.
 */
function buildBeside(build, contents, file, plugins = []) {
  const { outdir, outfile, minify, keepNames, target, platform, format } = build.initialOptions;
  return esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    plugins,
    bundle: true,
    minify,
    keepNames,
    target,
    platform,
    format,
    outfile: path.join(outdir ?? path.dirname(outfile), file),
    logLevel: 'warning',
  });
}

/**
 * Compiling the schemas was half of a cold start's JavaScript (BENCHMARKS.md,
 * "Cold start"). lib/validators/precompiled.ts becomes a table that requires
 * handlers/validators/<file>.js when a schema is first asked for; each file
 * is built beside the bundles, Ajv's runtime helpers bundled in.
 */
const precompiledValidators = {
  name: 'precompiled-validators',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]validators[\\/]precompiled\.ts$/ }, () => ({ contents: precompiled().module, loader: 'js', resolveDir: root }));
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return;
      const { dir, files } = precompiled();
      for (const [file, code] of Object.entries(files)) await buildBeside(build, code, path.join(dir, file), [fasterUcs2length]);
    });
  },
};

/**
 * Ajv's runtime helper that counts a string's code points (maxLength,
 * minLength), replaced in the validators' files by lib/validators/ucs2length.ts:
 * the same count, without walking a string that holds no surrogate.
 */
const fasterUcs2length = {
  name: 'faster-ucs2length',
  setup(build) {
    build.onResolve({ filter: /^ajv\/dist\/runtime\/ucs2length$/ }, () => ({ path: path.join(root, 'lib/validators/ucs2length.ts') }));
  },
};

/**
 * Ajv's compiler stays out of the bundles: with every schema precompiled, a
 * package never needs it, and parsing its ~250 KB cost ~3 ms of each cold
 * start. lib/ajv.ts requires it only for a schema that is not precompiled,
 * which in the repository (tests, tools, `npm start`) resolves to
 * node_modules. The standalone validators' own helpers (ajv/dist/runtime/*)
 * are bundled as before.
 */
const ajvCompilerNotBundled = {
  name: 'ajv-compiler-not-bundled',
  setup(build) {
    build.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', external: true }));
  },
};

/** onnxruntime-node's line that loads its native binding, relative to its own dist/ folder. */
const BINDING_REQUIRE = 'require(`../bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`)';

/**
 * onnxruntime-node's JavaScript (and onnxruntime-common's, where lib/ takes
 * the Tensor class from) bundled into each function instead of required from
 * node_modules: Node resolving and reading
 * its ~30 files took ~6 ms of every cold start (BENCHMARKS.md, "Cold
 * start"). The package stays in serverless.yml's `external` list, so it is
 * still installed (and trimmed) beside the bundles for its native binding,
 * which the bundled code loads from there: from handlers/, as
 * ../node_modules/onnxruntime-node/bin/... Fails the build if onnxruntime-node
 * no longer loads its binding with the line this expects.
 */
const onnxruntimeJsBundled = {
  name: 'onnxruntime-js-bundled',
  setup(build) {
    // Both to their CommonJS files, as onnxruntime-node's own require() of onnxruntime-common gets: one copy
    // of the Tensor class in the bundle, whether the code imports it from one package or the other.
    build.onResolve({ filter: /^onnxruntime-(node|common)$/ }, (args) => ({ path: require.resolve(args.path, { paths: [root] }) }));
    build.onLoad({ filter: /[\\/]onnxruntime-node[\\/]dist[\\/]binding\.js$/ }, (args) => {
      const source = require('node:fs').readFileSync(args.path, 'utf8');
      if (!source.includes(BINDING_REQUIRE)) throw new Error(`onnxruntime-node: ${args.path} no longer loads its binding with ${BINDING_REQUIRE}`);
      const installed = "require(require('node:path').join(__dirname, '..', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'))";
      return { contents: source.replace(BINDING_REQUIRE, installed), loader: 'js' };
    });
  },
};

/**
 * What @middy/core takes from Node's stream modules, used only to stream a
 * response (its streamifyResponse option, which no function sets). Each is
 * required when first read instead of while the bundle loads: node:stream/web
 * took ~1 ms to load in a fresh process; required during init, the two cost
 * predict's cold start 0.4 ms in `npm run bench:ablations` (BENCHMARKS.md,
 * "Ablations").
 * Fails the build if middy imports anything else from them.
 */
const MIDDY_STREAM_IMPORTS = { 'node:stream': 'Readable', 'node:stream/promises': 'pipeline', 'node:stream/web': 'ReadableStream' };

const middyStreamingLoadedWhenUsed = {
  name: 'middy-streaming-loaded-when-used',
  setup(build) {
    const fromMiddy = /[\\/]@middy[\\/]core[\\/]/;
    build.onResolve({ filter: /^node:stream(\/web|\/promises)?$/ }, (args) => (fromMiddy.test(args.importer) ? { path: args.path, namespace: 'middy-streaming' } : undefined));
    build.onLoad({ filter: /[\\/]@middy[\\/]core[\\/]index\.js$/ }, async (args) => {
      const source = await require('node:fs/promises').readFile(args.path, 'utf8');
      const imports = source.match(/from "node:stream[^"]*"/g) ?? [];
      const expected = Object.entries(MIDDY_STREAM_IMPORTS);
      if (imports.length !== expected.length || expected.some(([module, name]) => !source.includes(`import { ${name} } from "${module}";`))) {
        throw new Error('@middy/core imports other names from node:stream than MIDDY_STREAM_IMPORTS lists: update it');
      }
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'middy-streaming' }, (args) => ({
      contents: `let loaded; module.exports = { get ${MIDDY_STREAM_IMPORTS[args.path]}() { return (loaded ??= require(${JSON.stringify(args.path)})).${MIDDY_STREAM_IMPORTS[args.path]}; } };`,
      loader: 'js',
    }));
  },
};

/**
 * Libraries a function needs only for some requests, each in a file of its
 * own beside the bundles (handlers/<file>), which the code requires when it
 * first needs them: every other cold start no longer parses them with the
 * bundle. csv-parse and csv-stringify (lib/protocols/rest/formats/csv.ts)
 * were 22% of the predict bundle and 0.9 ms of its cold start
 * (`npm run bench:ablations`, BENCHMARKS.md, "Ablations").
 */
const LOADED_APART = { 'csv-parse/sync': 'csv-parse.js', 'csv-stringify/sync': 'csv-stringify.js' };

const librariesLoadedApart = {
  name: 'libraries-loaded-apart',
  setup(build) {
    build.onResolve({ filter: /^csv-(parse|stringify)\/sync$/ }, (args) => ({ path: `./${LOADED_APART[args.path]}`, external: true }));
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return;
      for (const [module, file] of Object.entries(LOADED_APART)) await buildBeside(build, `module.exports = require(${JSON.stringify(module)});`, file);
    });
  },
};

/** Powertools' test for Lambda Managed Instances, as its ESM envUtils.js (the build the bundles import) writes it. */
const INVOKE_STORE_TEST = `const shouldUseInvokeStore = () => {
    const res = getStringFromEnv({
        key: AWS_LAMBDA_MAX_CONCURRENCY,
        defaultValue: '',
    });
    return res !== '';
};`;

/**
 * Powertools (2.36) asks whether the process runs on Lambda Managed Instances
 * (AWS_LAMBDA_MAX_CONCURRENCY set) on every read and write of its logger's
 * and metrics' per-invocation state: 45 reads of process.env per predict
 * request, ~6 µs of a ~75 µs warm request (`node --cpu-prof` of the bench's
 * warm probe). Lambda sets that variable before the process starts and never
 * changes it, so the bundles answer it once. Fails the build if Powertools no
 * longer writes the test this way; tests/package/zip-run.test.ts counts the
 * reads, so a bundle that stopped taking this file would show too.
 */
const powertoolsInvokeStoreTestOnce = {
  name: 'powertools-invoke-store-test-once',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-lambda-powertools[\\/]commons[\\/]lib[\\/]esm[\\/]envUtils\.js$/ }, async (args) => {
      const source = await require('node:fs/promises').readFile(args.path, 'utf8');
      if (!source.includes(INVOKE_STORE_TEST)) throw new Error(`${args.path} no longer tests AWS_LAMBDA_MAX_CONCURRENCY as INVOKE_STORE_TEST expects`);
      const once = `let invokeStoreAnswer;
const shouldUseInvokeStore = () => (invokeStoreAnswer ??= getStringFromEnv({ key: AWS_LAMBDA_MAX_CONCURRENCY, defaultValue: '' }) !== '');`;
      return { contents: source.replace(INVOKE_STORE_TEST, once), loader: 'js' };
    });
  },
};

module.exports = [precompiledValidators, ajvCompilerNotBundled, onnxruntimeJsBundled, middyStreamingLoadedWhenUsed, librariesLoadedApart, powertoolsInvokeStoreTestOnce];
