// What a model needs of a Lambda function (memory, /tmp), and whether a zip
// of the code and the models fits Lambda's limits: one rule, used by
// serverless.yml's params (memorySize, ephemeralStorageSize), model:add,
// model:push and the package size tests (README, "Large models"). Plain
// CommonJS so that the Serverless CLI can require it as it is, as
// lib/http/routes.js; model-sizing.d.ts gives TypeScript its shape.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

/** Lambda's documentation and its log messages write MB for 1,024 KB. */
const MB = 1024 * 1024;

/**
 * Lambda's limits (the "Lambda quotas" page). A .zip package, with its
 * layers, is at most 250 MB unzipped: CreateFunction refuses one with
 * "Unzipped size must be smaller than 262144000 bytes". The 50 MB zipped
 * limit is for a zip uploaded directly; the Serverless Framework uploads it
 * to its deployment bucket and CloudFormation hands Lambda the S3 object, so
 * it does not apply here. A container image may be 10 GB.
 */
const LAMBDA = {
  unzippedBytes: 250 * MB,
  zippedDirectUploadBytes: 50 * MB,
  imageBytes: 10 * 1024 * MB,
  memoryMb: { min: 128, max: 10240 },
  tmpMb: { min: 512, max: 10240 },
  initSeconds: 10,
};

/**
 * The code's share of the zip (everything but models/), held by
 * tests/package/zip-contents.test.ts: measured 2026-12-04 at 69.5 MiB
 * unzipped and 29.5 MiB zipped on x86_64 (onnxruntime 44 MiB, sharp's
 * libvips 18 MiB, the bundles, Ajv's compiler, Swagger UI), with a few MiB to
 * spare. What is left of Lambda's 250 MB is the models' (modelsRoom).
 */
const CODE_BUDGET = { unzippedBytes: 72 * MB, zippedBytes: 31 * MB };

/**
 * Memory. Measured with bench/probes/large-session.js on wide MLPs of 16 to
 * 512 MB (BENCHMARKS.md, "Large models"): a process with onnxruntime loaded
 * holds 52 MB; loading a model from its bytes, as lib/model does (the file
 * read into a Buffer, then onnxruntime's own copy of the weights while it
 * parses), peaks at 52 MB + 3.0 × the model; from its path, 52 MB + 2.0 ×.
 * The session options (graph optimisation, memory arena, memory pattern)
 * moved neither figure. The rule takes the larger factor, 128 MB for the
 * handler's own (a packaged cold start peaks under 80 MB) and a quarter more
 * for the requests' tensors, never under the 1,024 MB the functions run at
 * for their CPU share (serverless.yml), in Lambda's 1 MB steps rounded to 64.
 */
const MEMORY_RULE = { baseMb: 128, perModelMb: 3, headroom: 1.25, floorMb: 1024, stepMb: 64 };

/**
 * /tmp. A model served from the store is downloaded into /tmp before it
 * loads, and the least recently used version is evicted only once the next
 * is there: twice the largest model, and 64 MB for onnxruntime's and the
 * capture's files. Never under Lambda's free 512 MB. A packaged model is read
 * from /var/task and needs none of it; the rule is the same so that a stage
 * can switch to the store without resizing.
 */
const TMP_RULE = { perModelMb: 2, marginMb: 64, floorMb: 512, stepMb: 64 };

const roundUp = (value, step) => Math.ceil(value / step) * step;
const mb = (bytes) => bytes / MB;
/** "46.7 MB" (Lambda's MB). */
const formatMb = (bytes) => `${mb(bytes).toFixed(1)} MB`;

/** What a model of `bytes` needs: memory and /tmp in MB, and whether Lambda allows that much. */
function needsFor(bytes) {
  const memoryMb = Math.max(MEMORY_RULE.floorMb, roundUp((MEMORY_RULE.baseMb + MEMORY_RULE.perModelMb * mb(bytes)) * MEMORY_RULE.headroom, MEMORY_RULE.stepMb));
  const tmpMb = Math.max(TMP_RULE.floorMb, roundUp(TMP_RULE.perModelMb * mb(bytes) + TMP_RULE.marginMb, TMP_RULE.stepMb));
  return { bytes, memoryMb, tmpMb, withinLambda: memoryMb <= LAMBDA.memoryMb.max && tmpMb <= LAMBDA.tmpMb.max };
}

/**
 * The files of a version folder the package carries, as serverless.yml's
 * package.patterns choose them ('models/*\/*\/*' but training scripts,
 * parity.json and metrics.*): model.json, the ONNX file, the files its
 * manifest lists, the monitoring baseline. The container image's task root
 * carries the same (scripts/image-task-root.ts).
 */
function packagedFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.py') && e.name !== 'parity.json' && !e.name.startsWith('metrics.'))
    .map((e) => e.name)
    .sort();
}

/** What a model version folder needs: its packaged files' bytes, memory and /tmp (model:add, model:push). */
function modelNeeds(dir) {
  const bytes = packagedFiles(dir).reduce((sum, file) => sum + statSync(path.join(dir, file)).size, 0);
  return needsFor(bytes);
}

/** "plans/1.0.0: 46.7 MB; needs memorySize 1024 MB and ephemeralStorageSize 512 MB" (and when Lambda cannot give it). */
function formatNeeds(label, needs) {
  const line = `${label}: ${formatMb(needs.bytes)}; needs memorySize ${needs.memoryMb} MB and ephemeralStorageSize ${needs.tmpMb} MB`;
  return needs.withinLambda ? line : `${line}, more than Lambda gives a function (at most ${LAMBDA.memoryMb.max} MB of each): too large to serve on Lambda`;
}

/** Every version folder (with a model.json) of a models folder: "name/version", its folder and its served bytes. */
function modelsIn(modelsDir) {
  if (!existsSync(modelsDir)) return [];
  const folders = (dir) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return folders(modelsDir).flatMap((name) =>
    folders(path.join(modelsDir, name))
      .filter((version) => existsSync(path.join(modelsDir, name, version, 'model.json')))
      .map((version) => {
        const dir = path.join(modelsDir, name, version);
        return { label: `${name}/${version}`, dir, bytes: modelNeeds(dir).bytes };
      }),
  );
}

/** The way out named by every refusal below. */
const WAY_OUT =
  'serve the large models from the model store instead (MODEL_STORE=s3://<bucket>/<prefix>, then `npm run model:push -- <name>`: the package then carries no models) or from a container image (up to 10 GB; README, "Large models")';

/**
 * Would a zip of the code (`codeBytes` unzipped) and these models load on
 * Lambda? `ok`, the total, and when not, a message that names the models,
 * largest first, and the way out.
 */
function zipCheck(codeBytes, models) {
  const modelBytes = models.reduce((sum, m) => sum + m.bytes, 0);
  const totalBytes = codeBytes + modelBytes;
  if (totalBytes <= LAMBDA.unzippedBytes) return { ok: true, totalBytes, modelBytes, message: '' };
  const listed = [...models].sort((a, b) => b.bytes - a.bytes).map((m) => `${m.label} ${formatMb(m.bytes)}`);
  const message =
    `the package would be ${formatMb(totalBytes)} unzipped (code ${formatMb(codeBytes)}, models ${formatMb(modelBytes)}: ${listed.join(', ')}), ` +
    `over Lambda's limit of 250 MB (${LAMBDA.unzippedBytes} bytes) unzipped for a .zip package with its layers; ${WAY_OUT}.`;
  return { ok: false, totalBytes, modelBytes, message };
}

/** The packaged models folder (package.patterns: models/*\/*\/*). */
const PACKAGED_MODELS = path.resolve(__dirname, '..', 'models');

/** What the largest model of a models folder needs (the floors when it holds none). */
function largestNeeds(modelsDir = PACKAGED_MODELS) {
  return needsFor(Math.max(0, ...modelsIn(modelsDir).map((m) => m.bytes)));
}

module.exports = {
  MB,
  LAMBDA,
  CODE_BUDGET,
  MEMORY_RULE,
  TMP_RULE,
  needsFor,
  packagedFiles,
  modelNeeds,
  formatNeeds,
  modelsIn,
  zipCheck,
  largestNeeds,
  // serverless.yml's params.default (${file(scripts/model-sizing.js):memorySize}): sized to the largest packaged model.
  memorySize: () => largestNeeds().memoryMb,
  ephemeralStorageSize: () => largestNeeds().tmpMb,
};
