import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { functions, lambdaLogicalId, scheduled } from '../../lib/http/routes';
import type { Manifest } from '../../lib/kinds';
import { assembleTaskRoot, DEFAULT_OUT } from '../../scripts/image-task-root';
import { addModel } from '../../scripts/model-add/main';
import { objectProblems, resourceTypes } from '../helpers/cloudformation-schema';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';
import { artifactsRoot, resolvedService, resourcesOfType, template } from './artifacts';
import { expectGoldenAnswers, runGoldenCases, type GoldenRun } from './golden-run';
import { zipEntries, zipPath } from './zip';

/**
 * The container image (README, "Large models", "Container image"), as far as
 * it can be proved here: no Docker runs on this machine, so the image is
 * never built or run. What is proved: its /var/task as
 * scripts/image-task-root.ts assembles it (the Dockerfile copies that
 * folder) holds the zip's files, and a models folder the zip did not carry;
 * that tree answers in plain Node as the zip does (tests/package/zip-run);
 * and the image param turns every function of the compiled template into an
 * image function, valid against AWS's resource schemas.
 */

const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-inference@sha256:${'0123456789abcdef'.repeat(4)}`;
const cli = require.resolve('serverless/bin/serverless.js', { paths: [repoRoot] });

/** Every file under a folder, relative, with its size. */
function filesUnder(dir: string): { name: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { name: path.relative(dir, file), bytes: statSync(file).size };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe("the container image's task root (scripts/image-task-root.ts)", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'image-task-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("with the repository's models/, is the zip's tree, file for file", () => {
    const task = path.join(work, 'same');
    assembleTaskRoot(zipPath('dev'), path.join(repoRoot, 'models'), task);
    const zipped = zipEntries('dev').map((e) => ({ name: e.name, bytes: e.bytes })).sort((a, b) => a.name.localeCompare(b.name));
    expect(filesUnder(task)).toEqual(zipped);
  });

  describe('with a models folder the zip did not carry, run in plain Node', () => {
    let models: string;
    let added: Manifest;
    let churn: Manifest;
    let output: GoldenRun;
    let task: string;

    beforeAll(async () => {
      models = scratchModelsDir(true);
      useModelsDir(models);
      added = (await addModel({ file: path.join(repoRoot, 'tests', 'fixtures', 'fixed_3d.onnx'), name: 'volume' })).manifest;
      churn = JSON.parse(readFileSync(path.join(models, 'churn', '1.0.0', 'model.json'), 'utf8')) as Manifest;
      task = path.join(work, 'added');
      assembleTaskRoot(zipPath('dev'), models, task);
      // No MODELS_DIR: the bundles read the models/ beside them, as in the image.
      output = runGoldenCases(work, task, [churn, added], {});
    }, 120_000);

    afterAll(() => removeModelsDir(models));

    it("holds the zip's code and the folder's models, as the zip would carry them", () => {
      const files = filesUnder(task).map((f) => f.name);
      const code = zipEntries('dev').map((e) => e.name).filter((f) => !f.startsWith('models/'));
      expect(files.filter((f) => !f.startsWith('models/'))).toEqual([...code].sort((a, b) => a.localeCompare(b)));
      expect(files).toEqual(expect.arrayContaining(['models/volume/1.0.0/model.onnx', 'models/volume/1.0.0/model.json', 'models/churn/1.0.0/model.onnx']));
    });

    it('answers each model\'s golden cases from the models beside the bundles', () => {
      expectGoldenAnswers(output, [churn, added]);
    });
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

  it("is on AWS's Node.js Lambda base image of the runtime serverless.yml names", () => {
    const runtime = /^nodejs(\d+)\.x$/.exec(resolvedService('dev').provider.runtime);
    expect(runtime).not.toBeNull();
    expect(dockerfile).toMatch(new RegExp(`^FROM public\\.ecr\\.aws/lambda/nodejs:${runtime![1]}\\s*$`, 'm'));
  });

  it("copies the task root scripts/image-task-root.ts writes into Lambda's task root, and nothing else", () => {
    expect(dockerfile.match(/^(COPY|ADD) .*$/gm)).toEqual([`COPY ${DEFAULT_OUT}/ \${LAMBDA_TASK_ROOT}/`]);
  });
});

describe('the template with the image param', () => {
  const out = path.join(artifactsRoot, 'dev-image');
  let functionsOf: [string, { Properties: Record<string, unknown> }][];
  let zipFunctions: Map<string, Record<string, unknown>>;

  beforeAll(() => {
    // No zip is built (scripts/image-functions-plugin.js): a second or two.
    execFileSync('timeout', ['120', process.execPath, cli, 'package', '--stage', 'dev', '--package', out, `--param=image=${IMAGE}`], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    const names = new Set([...Object.keys(functions), ...Object.keys(scheduled)].map(lambdaLogicalId));
    functionsOf = resourcesOfType(template('dev-image'), 'AWS::Lambda::Function').filter(([id]) => names.has(id));
    zipFunctions = new Map(resourcesOfType(template('dev'), 'AWS::Lambda::Function').map(([id, r]) => [id, r.Properties]));
  }, 150_000);

  it('runs every function of the route table from the image by its digest, with the handler the zip gives it', () => {
    expect(functionsOf.map(([id]) => id).sort()).toEqual([...Object.keys(functions), ...Object.keys(scheduled)].map(lambdaLogicalId).sort());
    for (const [id, { Properties: p }] of functionsOf) {
      const zip = zipFunctions.get(id)!;
      expect({ id, packageType: p.PackageType, code: p.Code, command: p.ImageConfig, handler: p.Handler, runtime: p.Runtime }).toEqual({
        id,
        packageType: 'Image',
        code: { ImageUri: IMAGE },
        command: { Command: [zip.Handler] },
        handler: undefined,
        runtime: undefined,
      });
      // The rest of the function as the zip's: memory, /tmp, timeout, environment, role, architecture.
      const { PackageType: _, Code: __, ImageConfig: ___, ...rest } = p;
      const { Handler: _h, Runtime: _r, Code: _c, ...zipRest } = zip;
      expect({ id, ...rest }).toEqual({ id, ...zipRest });
    }
  });

  it("is valid against AWS's resource schemas, every resource", () => {
    const resources = Object.entries(template('dev-image').Resources);
    expect(resources.filter(([, r]) => r.Type.startsWith('AWS::') && !resourceTypes.has(r.Type)).map(([, r]) => r.Type)).toEqual([]);
    const found = resources.filter(([, r]) => resourceTypes.has(r.Type)).flatMap(([id, r]) => objectProblems(r.Properties ?? {}, resourceTypes.get(r.Type)!, id));
    expect(found).toEqual([]);
  });
});
