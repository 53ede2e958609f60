import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { stages } from './stages';
import { CODE_BUDGET } from '../../scripts/model-sizing';
import { sizeReport, zipEntries, zippedBytes, zipPath } from './zip';

const MB = 1024 * 1024;
const ortArch = { x86_64: 'x64', arm64: 'arm64' } as const;
const sharpVersion = (JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'node_modules', 'sharp', 'package.json'), 'utf8')) as { version: string }).version;

interface LockEntry {
  dev?: boolean;
}
const lock = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** The top-level package a zip path belongs to, e.g. "@scope/name" or "name". */
function packageOf(file: string): string | undefined {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
  return m?.[1];
}

describe.each(stages)('the packaged zip of $name', ({ name, architecture, args = [] }) => {
  // A stage with a model store (README, "Large models") packages no models: its functions serve the store's.
  const carriesModels = !args.some((arg) => arg.startsWith('--param=modelStore='));
  const entries = zipEntries(name);
  const files = entries.map((e) => e.name);
  // The budget is the code's: models/ holds whatever models a user adds, of any size; their share is held to Lambda's own limit.
  const sizes = sizeReport(entries, zippedBytes(name));

  it('keeps the code (everything but models/) within the size budget', () => {
    const modelMb = sizes.models.reduce((s, m) => s + m.bytes, 0) / MB;
    process.stdout.write(`${name}: code ${(sizes.codeZipped / MB).toFixed(1)} MiB zipped, ${(sizes.codeUnzipped / MB).toFixed(1)} MiB unzipped; models ${modelMb.toFixed(1)} MiB; ${files.length} files\n`);
    expect(sizes.codeUnzipped).toBeLessThanOrEqual(CODE_BUDGET.unzippedBytes);
    expect(sizes.codeZipped).toBeLessThanOrEqual(CODE_BUDGET.zippedBytes);
  });

  it("fits Lambda's 250 MB unzipped, code and models together (else the message names the models to move to the store or an image)", () => {
    expect(sizes.lambda.message).toBe('');
    expect(sizes.lambda.ok).toBe(true);
  });

  it('carries the bundled handlers and the model files', () => {
    expect(files).toEqual(expect.arrayContaining(['predict', 'health', 'models', 'v2-metadata', 'v2-infer', 'docs'].map((h) => `handlers/${h}.js`)));
    for (const model of ['churn', 'intent']) {
      const modelFiles = [`models/${model}/1.0.0/model.onnx`, `models/${model}/1.0.0/model.json`];
      if (carriesModels) expect(files).toEqual(expect.arrayContaining(modelFiles));
      else expect(files.filter((f) => f.startsWith('models/'))).toEqual([]);
    }
  });

  it('carries the docs page\'s files (Swagger UI) and its license, and no other file of that package', () => {
    const swaggerUi = files.filter((f) => f.startsWith('node_modules/swagger-ui-dist/')).sort();
    expect(swaggerUi).toEqual(['LICENSE', 'NOTICE', 'package.json', 'swagger-ui-bundle.js', 'swagger-ui.css'].map((f) => `node_modules/swagger-ui-dist/${f}`));
  });

  it("carries every model's traffic file (README, \"Releasing a new version\")", () => {
    const root = path.resolve(__dirname, '..', '..');
    const trafficFiles = readdirSync(path.join(root, 'models'))
      .map((model) => `models/${model}/traffic.json`)
      .filter((file) => existsSync(path.join(root, file)));
    expect(trafficFiles.length).toBeGreaterThan(0);
    // A store's stage takes its traffic files from the store (npm run model:push sends them).
    if (carriesModels) expect(files).toEqual(expect.arrayContaining(trafficFiles));
    else expect(files.filter((f) => f.endsWith('traffic.json'))).toEqual([]);
  });

  it("bundles onnxruntime-node's JavaScript and keeps the precompiled validators in files of their own (scripts/esbuild-plugins.js); no X-Ray SDK", () => {
    const read = (file: string) => execFileSync('unzip', ['-p', zipPath(name), file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    // Subsegments go to the daemon from lib/observability/xray-daemon.ts: the SDK and its async hooks are not shipped.
    expect(files.filter((f) => /xray|cls-hooked/i.test(f))).toEqual([]);
    // csv-parse and csv-stringify beside the bundles, required on a container's first CSV body or answer.
    expect(files).toEqual(expect.arrayContaining(['handlers/csv-parse.js', 'handlers/csv-stringify.js']));
    expect(read('handlers/csv-parse.js')).toContain('normalize_options');
    for (const handler of ['predict', 'health', 'models', 'v2-metadata', 'v2-infer']) {
      const bundle = read(`handlers/${handler}.js`);
      expect({ handler, xraySdk: /cls-hooked|aws-xray-sdk/.test(bundle) }).toEqual({ handler, xraySdk: false });
      expect({ handler, csvLibraries: bundle.includes('normalize_options') }).toEqual({ handler, csvLibraries: false });
      expect({ handler, ortRequired: bundle.includes('require("onnxruntime-node")') }).toEqual({ handler, ortRequired: false });
    }
    expect(read('handlers/predict.js')).toContain('onnxruntime_binding.node');
    // sharp is installed beside the bundles, required by the image kind on a container's first picture only
    // (zip-images.test.ts: the functions that decode none never map libvips).
    for (const handler of ['predict', 'v2-infer']) expect(read(`handlers/${handler}.js`)).toContain('require("sharp")');
    // The models function describes models and never creates a session: no native library at all.
    expect(read('handlers/models.js')).not.toContain('onnxruntime_binding.node');
    // The precompiled validators, a file per schema, loaded when first used (scripts/precompile-validators.ts).
    expect(files.filter((f) => /^handlers\/validators\/[^/]+\.js$/.test(f)).length).toBeGreaterThan(0);
  });

  it(`carries exactly one onnxruntime binding and one sharp binding with its libvips, for linux and ${architecture}`, () => {
    const bindings = files.filter((f) => f.endsWith('.node')).sort();
    expect(bindings).toEqual([
      `node_modules/@img/sharp-linux-${ortArch[architecture]}/lib/sharp-linux-${ortArch[architecture]}-${sharpVersion}.node`,
      `node_modules/onnxruntime-node/bin/napi-v6/linux/${ortArch[architecture]}/onnxruntime_binding.node`,
    ]);
    const libvips = files.filter((f) => /\/libvips[^/]*\.so/.test(f));
    expect(libvips).toHaveLength(1);
    expect(libvips[0]).toMatch(new RegExp(`^node_modules/@img/sharp-libvips-linux-${ortArch[architecture]}/lib/libvips-cpp\\.so\\.\\d`));
    const libraries = files.filter((f) => /\/libonnxruntime\.so/.test(f));
    expect(libraries).toEqual([`node_modules/onnxruntime-node/bin/napi-v6/linux/${ortArch[architecture]}/libonnxruntime.so.1`]);
  });

  it('carries no dev dependency, and only packages the lock file installs for production', () => {
    const packages = [...new Set(files.map(packageOf).filter((p): p is string => p !== undefined))];
    expect(packages.length).toBeGreaterThan(0);
    for (const pkg of packages) {
      const entry = lock.packages[`node_modules/${pkg}`];
      expect({ pkg, locked: entry !== undefined, dev: entry?.dev ?? false }).toEqual({ pkg, locked: true, dev: false });
    }
  });

  it('carries no tests, TypeScript sources, typings, source maps or training files', () => {
    const unwanted = files.filter(
      (f) =>
        /\.(ts|tsx|map|py|pyc)$/.test(f) ||
        /(^|\/)(tests?|__tests__|__pycache__)\//.test(f) ||
        /\.(test|spec)\.[cm]?js$/.test(f) ||
        /(^|\/)(parity\.json|messages\.csv|metrics\.(md|txt))$/.test(f) ||
        /^(lib|handlers\/.*\.ts|bench|scripts|examples)\b/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});
