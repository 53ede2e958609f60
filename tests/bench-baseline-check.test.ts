import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { BASELINE_INSTALL, baselineAvailable } from '../bench/baseline-check';
import { IMAGE_BASELINE_INSTALL } from '../bench/images';
import { repoRoot } from './helpers/models';
import { readme } from './helpers/readme';

/** The install commands the README's "Performance" section gives: the Flask baseline's, then the image rows'. */
function readmeInstallCommands(): string[] {
  const section = readme.slice(readme.indexOf('\n## Performance'), readme.indexOf('\n## ', readme.indexOf('\n## Performance') + 1));
  return (section.match(/^\s*(apt-get install [^\n`]+)$/gm) ?? []).map((c) => c.trim());
}

describe('npm run bench without the baseline', () => {
  it("the commands it prints are the README's", () => {
    expect(readmeInstallCommands()).toEqual([BASELINE_INSTALL, IMAGE_BASELINE_INSTALL]);
  });

  it('finds the baseline missing on an interpreter that is not there', () => {
    expect(baselineAvailable(path.join(repoRoot, 'no-such-dir', 'python3'))).toBe(false);
  });

  it('prints the install command and stops with a non-zero status before measuring anything', () => {
    // The bench as npm run bench builds it, beside it in .esbuild/.
    const bundle = path.join(repoRoot, '.esbuild', 'bench-baseline-check-test.js');
    buildSync({ entryPoints: [path.join(repoRoot, 'bench/run.ts')], bundle: true, platform: 'node', target: 'node20', external: ['onnxruntime-node', 'onnxruntime-common', 'sharp'], outfile: bundle, logLevel: 'error' });
    const run = spawnSync(process.execPath, [bundle], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', BENCH_PYTHON: path.join(repoRoot, 'no-such-dir', 'python3') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`\n    ${BASELINE_INSTALL}\n`);
    expect(run.stderr).not.toContain('packaging');
  });
});
