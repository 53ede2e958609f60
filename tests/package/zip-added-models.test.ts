import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { kindOf, type Manifest } from '../../lib/kinds';
import { addModel } from '../../scripts/model-add/main';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

/**
 * Models the package was not built with (issue 24, item 1): a tabular and a
 * tensor model added with model:add to a folder after packaging, served by
 * the packaged zip in plain Node through MODELS_DIR. Their record schemas
 * were not precompiled; Ajv's compiler sits beside the bundles (an external
 * of serverless.yml) and loads only for them. Each answers its golden cases.
 */

const fixture = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name);
const predictEvent = JSON.parse(readFileSync(path.join(repoRoot, 'tests', 'events', 'predict.json'), 'utf8')) as APIGatewayProxyEvent;

describe('the packaged zip with models added after packaging', () => {
  let work: string;
  let models: string;
  const added: Manifest[] = [];
  let output: { results: { statusCode: number; body: string }[]; compiledSchemas: number };

  beforeAll(async () => {
    models = scratchModelsDir(false);
    useModelsDir(models);
    added.push((await addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans' })).manifest);
    added.push((await addModel({ file: fixture('fixed_3d.onnx'), name: 'volume' })).manifest);
    work = mkdtempSync(path.join(tmpdir(), 'zip-added-'));
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
    const calls = added.flatMap((manifest) =>
      manifest.golden.cases.map((golden) => ({
        fn: 'predict',
        event: {
          ...predictEvent,
          resource: '/models/{name}/predict',
          path: `/models/${manifest.name}/predict`,
          pathParameters: { name: manifest.name },
          body: JSON.stringify(golden.request ?? kindOf(manifest).goldenRequest(manifest, golden)),
        },
      })),
    );
    copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
    writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls));
    const fn = resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction');
    const env = { ...(fn![1].Properties.Environment.Variables as Record<string, string>), PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, NODE_ENV: 'production', HOME: '/tmp', MODELS_DIR: models, DEFAULT_MODEL: 'plans', CAPTURE_SAMPLE: '0' };
    const run = spawnSync(process.execPath, [path.join(work, 'runner.js'), path.join(work, 'calls.json')], { cwd: tmpdir(), env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    if (run.status !== 0) throw new Error(`the runner exited with ${run.status}:\n${run.stderr}`);
    process.stdout.write(run.stdout);
    const line = run.stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
    output = JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as typeof output;
  }, 120_000);

  afterAll(() => {
    removeModelsDir(models);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves each of them, its golden cases answered as when the model was added', () => {
    const expected = added.flatMap((manifest) => manifest.golden.cases.map((golden) => ({ status: 200, answer: golden.answer, name: manifest.name })));
    expect(output.results).toHaveLength(expected.length);
    output.results.forEach((result, i) => {
      const body = JSON.parse(result.body) as Record<string, unknown>;
      const { model, ...answer } = body;
      expect({ status: result.statusCode, name: (model as { name: string }).name }).toEqual({ status: expected[i]!.status, name: expected[i]!.name });
      // As loading compares them: through the kind's golden view (a tensor model's keeps a sample of its outputs).
      const manifest = added.find((m) => m.name === expected[i]!.name)!;
      expect(kindOf(manifest).runtime(manifest, new Map()).goldenView(answer)).toEqual(expected[i]!.answer);
    });
  });

  it("compiled the schemas it lacked with Ajv's compiler from beside the bundles, not from the bundle", () => {
    expect(output.compiledSchemas).toBeGreaterThan(0);
    const bundle = readFileSync(path.join(work, 'task', 'handlers', 'predict.js'), 'utf8');
    expect(bundle).not.toContain('strictTypes');
  });
});
