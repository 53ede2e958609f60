import { spawnSync } from 'node:child_process';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir } from './helpers/models-dir';
import { readme, readmeBlock } from './helpers/readme';

/** Every `npm run model:add` line of the README, run as written (against a scratch copy of the models folder). */
const commands = [
  ...new Set( // the release procedure repeats the new-version line; it runs in tests/readme-release.test.ts
    readme
      .split('\n')
      .filter((line) => line.startsWith('npm run model:add -- '))
      // The torchvision export's line needs the file its Python writes: tests/image-classification.test.ts runs both.
      .filter((line) => !readmeBlock('torchvision-export').includes(line))
      .map((line) => line.replace(/\s+#.*$/, '')),
  ),
];

describe('the README\'s model:add commands', () => {
  // The folders the commands start from, and none they write: models/ may hold those already.
  const dir = scratchModelsDir(['churn/1.0.0']);
  afterAll(() => removeModelsDir(dir));

  it('are there', () => {
    expect(commands.length).toBeGreaterThanOrEqual(3);
  });

  it.each(commands)('%s', (command) => {
    const run = spawnSync('bash', ['-c', `${command} 2>&1`], { cwd: repoRoot, env: { ...process.env, MODELS_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
    expect(run.stdout).toMatch(/wrote .*model\.json: kind /);
    expect(run.status).toBe(0);
  });
});
