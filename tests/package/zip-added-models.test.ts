import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Manifest } from '../../lib/kinds';
import { addModel } from '../../scripts/model-add/main';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';
import { expectGoldenAnswers, runGoldenCases, type GoldenRun } from './golden-run';
import { zipPath } from './zip';

/**
 * Models the package was not built with (issue 24, item 1): a tabular and a
 * tensor model added with model:add to a folder after packaging, served by
 * the packaged zip in plain Node through MODELS_DIR. Their record schemas
 * were not precompiled; Ajv's compiler sits beside the bundles (an external
 * of serverless.yml) and loads only for them. Each answers its golden cases.
 */

const fixture = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name);

describe('the packaged zip with models added after packaging', () => {
  let work: string;
  let models: string;
  const added: Manifest[] = [];
  let output: GoldenRun;

  beforeAll(async () => {
    models = scratchModelsDir(false);
    useModelsDir(models);
    added.push((await addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans' })).manifest);
    added.push((await addModel({ file: fixture('fixed_3d.onnx'), name: 'volume' })).manifest);
    work = mkdtempSync(path.join(tmpdir(), 'zip-added-'));
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
    output = runGoldenCases(work, task, added, { MODELS_DIR: models, DEFAULT_MODEL: 'plans' });
  }, 120_000);

  afterAll(() => {
    removeModelsDir(models);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves each of them, its golden cases answered as when the model was added', () => {
    expectGoldenAnswers(output, added);
  });

  it("compiled the schemas it lacked with Ajv's compiler from beside the bundles, not from the bundle", () => {
    expect(output.compiledSchemas).toBeGreaterThan(0);
    const bundle = readFileSync(path.join(work, 'task', 'handlers', 'predict.js'), 'utf8');
    expect(bundle).not.toContain('strictTypes');
  });
});
