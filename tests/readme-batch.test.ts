import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { cli } from '../scripts/score/main';
import { repoRoot } from './helpers/models';
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
