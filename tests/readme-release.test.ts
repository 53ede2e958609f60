import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir } from './helpers/models-dir';
import { readmeBlock } from './helpers/readme';

/** The README's release procedure, each line run as written, in order, on a scratch models folder. */
const steps = readmeBlock('release-steps')
  .split('\n')
  .filter((line) => line.startsWith('npm run '))
  .map((line) => line.replace(/\s+#.*$/, ''));

/** What churn's traffic file says after each step, in order. */
const expected = [
  { labels: { stable: '1.0.0' }, split: { '1.0.0': 100 } },
  { labels: { stable: '1.0.0' }, split: { '1.0.0': 100 }, shadow: '1.1.0' },
  { labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 }, shadow: '1.1.0' },
  { labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 }, shadow: '1.1.0', sticky: 'api_key' },
  { labels: { stable: '1.1.0', canary: '1.1.0' }, split: { '1.1.0': 100 }, sticky: 'api_key' },
  { labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 100 }, sticky: 'api_key' },
];

describe("the README's release procedure", () => {
  const dir = scratchModelsDir(['churn/1.0.0']);
  const file = path.join(dir, 'churn', 'traffic.json');
  afterAll(() => removeModelsDir(dir));

  it('has the six steps', () => {
    expect(steps).toHaveLength(expected.length);
  });

  it.each(steps.map((step, i) => [step, i] as const))('%s', (step, i) => {
    const run = spawnSync('bash', ['-c', `${step} 2>&1`], { cwd: repoRoot, env: { ...process.env, MODELS_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
    expect({ status: run.status, out: run.stdout.slice(-400) }).toEqual({ status: 0, out: expect.any(String) });
    expect(existsSync(file)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(expected[i]);
  });
});
