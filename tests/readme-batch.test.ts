import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { addModel } from '../scripts/model-add/main';
import { cli } from '../scripts/score/main';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { asPattern, readmeExamples } from './helpers/readme';

/** README "Batch scoring": its example run as it is written, from the project's root, and its output as shown. */
describe('README "Batch scoring"', () => {
  const [run, head] = readmeExamples('batch-score');
  let dir: string;
  const cwd = process.cwd();
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'readme-batch-'));
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('npm run score on the Telco file prints the summary shown and writes the rows shown', async () => {
    expect(run!.command).toBe('npm run score -- ../shared/data/telco-customer-churn.csv --model churn --out scores.csv');
    const argv = run!.command.replace(/^npm run score -- /, '').split(' ');
    // The input as the README names it from the project's root; the output in a scratch folder under the name it gives.
    argv[0] = path.resolve(repoRoot, argv[0]!);
    process.chdir(dir);
    let stderr = '';
    // A terminal, as the README's reader runs it: the bar is redrawn in place, and what stays on screen is its last drawing and the summary.
    const terminal = { isTTY: true, columns: 120, write: (text: string) => (stderr += text) };
    const code = await cli(argv, { stdout: new Writable({ write: (_c, _e, done) => done() }), stderr: terminal });
    expect(code).toBe(0);
    expect(stderr.split('\r\x1b[K').at(-1)!.trimEnd()).toMatch(asPattern(run!.answer));
    expect(head!.command).toBe('head -3 scores.csv');
    expect(readFileSync(path.join(dir, 'scores.csv'), 'utf8').split('\n').slice(0, 3).join('\n')).toBe(head!.answer);
  });
});

/** README "Batch scoring", a folder of pictures: its commands run as written, from the project's root, in a scratch models folder. */
describe('README "Batch scoring": a folder of pictures', () => {
  const [add, copy, run, cat] = readmeExamples('batch-images');
  const models = scratchModelsDir(false);
  let dir: string;
  const cwd = process.cwd();
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'readme-batch-images-'));
    useModelsDir(models);
  });
  afterAll(() => {
    process.chdir(cwd);
    removeModelsDir(models);
    rmSync(dir, { recursive: true, force: true });
  });

  it('model:add, a folder of the fixture pictures and a truncated JPEG, npm run score: the summary and the rows shown', async () => {
    expect(add!.command).toBe('npm run model:add -- tests/fixtures/images/shapes_classifier.onnx --name shapes --labels tests/fixtures/images/shapes_labels.txt');
    const fixtures = path.join(repoRoot, 'tests', 'fixtures', 'images');
    await addModel({ file: path.join(fixtures, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(fixtures, 'shapes_labels.txt') } });
    useModelsDir(models);
    // The shell's brace expansion, done here.
    const copied = /^mkdir pictures && cp tests\/fixtures\/images\/\{([^}]+)\} pictures\/$/.exec(copy!.command);
    expect(copied).not.toBeNull();
    mkdirSync(path.join(dir, 'pictures'));
    for (const name of copied![1]!.split(',')) copyFileSync(path.join(fixtures, name), path.join(dir, 'pictures', name));
    expect(run!.command).toBe('npm run score -- pictures --model shapes --out shapes.csv');
    process.chdir(dir);
    let stderr = '';
    const terminal = { isTTY: true, columns: 120, write: (text: string) => (stderr += text) };
    const code = await cli(run!.command.replace(/^npm run score -- /, '').split(' '), { stdout: new Writable({ write: (_c, _e, done) => done() }), stderr: terminal });
    expect(code).toBe(0);
    expect(stderr.split('\r\x1b[K').at(-1)!.trimEnd()).toMatch(asPattern(run!.answer));
    expect(cat!.command).toBe('cat shapes.csv');
    expect(readFileSync(path.join(dir, 'shapes.csv'), 'utf8').trimEnd()).toMatch(asPattern(cat!.answer));
  }, 60_000);
});
