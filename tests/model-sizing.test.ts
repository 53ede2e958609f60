import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sizingLines } from '../scripts/model-add/main';
import * as sizing from '../scripts/model-sizing';
import { writeWideMlp } from '../scripts/wide-mlp';
import { modelsDir, repoRoot } from './helpers/models';

const { CODE_BUDGET, LAMBDA, MB, MEMORY_RULE, TMP_RULE, needsFor, modelNeeds, formatNeeds, packagedFiles, zipCheck } = sizing;

describe('what a model needs of a function (scripts/model-sizing.js)', () => {
  it("gives a small model the functions' floors: 1024 MB of memory (their CPU share) and Lambda's free 512 MB of /tmp", () => {
    expect(needsFor(1 * MB)).toEqual({ bytes: MB, memoryMb: 1024, tmpMb: 512, withinLambda: true });
  });

  it('grows memory and /tmp with the model as the documented rule says, in 64 MB steps, never under the floors', () => {
    for (const mb of [200, 300, 512, 1000, 2500]) {
      const needs = needsFor(mb * MB);
      expect(needs.memoryMb % 64).toBe(0);
      expect(needs.tmpMb % 64).toBe(0);
      // Covers the measured peak (onnxruntime loading from bytes: 3x the model) and the handler, with the headroom.
      expect(needs.memoryMb).toBeGreaterThanOrEqual((MEMORY_RULE.baseMb + MEMORY_RULE.perModelMb * mb) * MEMORY_RULE.headroom);
      expect(needs.memoryMb).toBeLessThan(Math.max(1024 + 1, (MEMORY_RULE.baseMb + MEMORY_RULE.perModelMb * mb) * MEMORY_RULE.headroom + 64));
      // Two copies in /tmp while the next version downloads, and the margin.
      expect(needs.tmpMb).toBeGreaterThanOrEqual(Math.max(512, TMP_RULE.perModelMb * mb + TMP_RULE.marginMb));
      expect(needs.memoryMb).toBeGreaterThanOrEqual(1024);
    }
    expect(needsFor(300 * MB).memoryMb).toBeGreaterThan(needsFor(200 * MB).memoryMb);
  });

  it("says when a model needs more than Lambda's 10,240 MB", () => {
    const needs = needsFor(4000 * MB);
    expect(needs.withinLambda).toBe(false);
    expect(formatNeeds('huge/1.0.0', needs)).toMatch(/^huge\/1\.0\.0: 4000\.0 MB; needs memorySize \d+ MB and ephemeralStorageSize \d+ MB, more than Lambda gives a function \(at most 10240 MB of each\)/);
    expect(needsFor(1000 * MB).withinLambda).toBe(true);
  });

  it("holds a real model's peak memory, measured in a child process loading it as lib/model does (from its bytes)", () => {
    // 256 MB of weights: over the floor, so the rule's own figure is what is tested.
    const dir = mkdtempSync(path.join(tmpdir(), 'sizing-'));
    try {
      const model = writeWideMlp(path.join(dir, 'model.onnx'), 256e6);
      const needs = needsFor(model.bytes);
      expect(needs.memoryMb).toBeGreaterThan(1024);
      const run = spawnSync(process.execPath, [path.join(repoRoot, 'bench/probes/large-session.js')], {
        env: { PATH: process.env.PATH ?? '', MODEL: model.file, SOURCE: 'bytes', ORT_DISABLE_TELEMETRY: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(0);
      const { peakRssMb } = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('BENCH-RESULT '))!.slice('BENCH-RESULT '.length)) as { peakRssMb: number };
      expect(peakRssMb).toBeGreaterThan(model.bytes / MB); // the model was really held
      expect(peakRssMb).toBeLessThanOrEqual(needs.memoryMb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a version folder', () => {
  it('counts the files the package carries: not the training records (parity.json, metrics.*)', () => {
    const dir = path.join(modelsDir, 'churn', '1.0.0');
    const files = packagedFiles(dir);
    expect(files).toEqual(expect.arrayContaining(['model.json', 'model.onnx']));
    expect(files.filter((f) => f === 'parity.json' || f.startsWith('metrics.'))).toEqual([]);
    expect(modelNeeds(dir).bytes).toBe(files.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0));
  });

  it("sizes serverless.yml's params to the largest model of models/", () => {
    const largest = Math.max(...sizing.modelsIn(modelsDir).map((m) => m.bytes));
    expect(sizing.memorySize()).toBe(needsFor(largest).memoryMb);
    expect(sizing.ephemeralStorageSize()).toBe(needsFor(largest).tmpMb);
  });
});

describe("a zip against Lambda's limit", () => {
  it('passes while code and models fit 250 MB unzipped', () => {
    expect(zipCheck(70 * MB, [{ label: 'a/1', bytes: 100 * MB }])).toEqual({ ok: true, totalBytes: 170 * MB, modelBytes: 100 * MB, message: '' });
    expect(zipCheck(LAMBDA.unzippedBytes - 1, [{ label: 'a/1', bytes: 1 }]).ok).toBe(true);
  });

  it('refuses one byte over, naming the models largest first and the way out', () => {
    const check = zipCheck(LAMBDA.unzippedBytes - 10, [{ label: 'small/1.0.0', bytes: 4 }, { label: 'big/2.0.0', bytes: 7 }]);
    expect(check.ok).toBe(false);
    expect(check.message).toContain('models 0.0 MB: big/2.0.0 0.0 MB, small/1.0.0 0.0 MB)');
    expect(check.message).toContain('MODEL_STORE=s3://<bucket>/<prefix>, then `npm run model:push -- <name>`');
    expect(check.message).toContain('container image');
  });
});

describe('npm run model:add prints what the model needs', () => {
  let models: string;
  beforeEach(() => {
    models = mkdtempSync(path.join(tmpdir(), 'sizing-models-'));
  });
  afterEach(() => rmSync(models, { recursive: true, force: true }));

  /** A version folder of a model of `bytes` (a sparse file: only its size is read here). */
  function version(name: string, bytes: number): string {
    const dir = path.join(models, name, '1.0.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ file: 'model.onnx' }));
    writeFileSync(path.join(dir, 'model.onnx'), '');
    truncateSync(path.join(dir, 'model.onnx'), bytes);
    return dir;
  }

  it('and no warning while the folder fits a zip with the code at its budget', () => {
    const dir = path.join(models, 'churn', '1.0.0');
    mkdirSync(dir, { recursive: true });
    for (const f of packagedFiles(path.join(modelsDir, 'churn', '1.0.0'))) copyFileSync(path.join(modelsDir, 'churn', '1.0.0', f), path.join(dir, f));
    const lines = sizingLines(dir);
    expect(lines).toEqual([`${formatNeeds('churn/1.0.0', modelNeeds(dir))} (serverless.yml's params follow the largest model: README, "Large models")`]);
    expect(lines[0]).toContain('needs memorySize 1024 MB and ephemeralStorageSize 512 MB');
  });

  it('and warns, pointing at the store, when the folder would pass the limit', () => {
    version('small', 10 * MB);
    const dir = version('vision-xl', LAMBDA.unzippedBytes - CODE_BUDGET.unzippedBytes);
    const lines = sizingLines(dir);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^vision-xl\/1\.0\.0: 178\.0 MB; needs memorySize \d+ MB and ephemeralStorageSize \d+ MB/);
    expect(lines[1]).toMatch(/^warning: with the code at its budget of 72 MB, the package would be/);
    expect(lines[1]).toContain('vision-xl/1.0.0 178.0 MB, small/1.0.0 10.0 MB');
    expect(lines[1]).toContain('npm run model:push');
    // The folder's own manifest is what was read.
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'))).toEqual({ file: 'model.onnx' });
  });
});
