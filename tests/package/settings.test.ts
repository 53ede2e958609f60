import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readSettings } from '../../lib/settings';
import { environmentWithoutSettings } from '../../scripts/local-api';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';
import { stages } from './stages';

/**
 * Packaging and the functions' settings: the packager's shell shapes no
 * package, and every packaged stage's environment is one the functions accept.
 */

describe('packaging', () => {
  /** lib/validators/precompiled.ts through scripts/esbuild-plugins.js, as serverless-esbuild builds it, in a shell with these settings: {file: contents}. */
  function precompiledValidators(shell: Record<string, string>): Record<string, string> {
    const out = mkdtempSync(path.join(tmpdir(), 'validators-'));
    try {
      const build = `require('esbuild').build({ entryPoints: ['lib/validators/precompiled.ts'], bundle: true, platform: 'node', format: 'cjs',
        outdir: process.argv[1], logLevel: 'warning', plugins: require('./scripts/esbuild-plugins.js') }).catch((e) => { console.error(e.message); process.exit(1); })`;
      execFileSync(process.execPath, ['-e', build, out], { cwd: repoRoot, env: { ...environmentWithoutSettings(), ...shell }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return Object.fromEntries(files.map((e) => [path.relative(out, path.join(e.parentPath, e.name)), readFileSync(path.join(e.parentPath, e.name), 'utf8')]));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  it("neither fails nor changes with a malformed setting in the packager's shell (the validators' build runs code that loads lib/settings)", () => {
    const clean = precompiledValidators({});
    expect(Object.keys(clean).length).toBeGreaterThan(1);
    expect(precompiledValidators({ MAX_BATCH: 'abc', MODELS_DIR: '/no/such/folder' })).toEqual(clean);
  });
});

describe('every packaged stage', () => {
  it.each(stages.map((s) => s.name))("%s: each function's environment in the template is one the functions accept", (name) => {
    // Ours, not osls's custom resource for API Gateway's CloudWatch role.
    const functions = resourcesOfType(template(name), 'AWS::Lambda::Function').filter(([, fn]) => String(fn.Properties.Handler).startsWith('handlers/'));
    expect(functions.length).toBe(6);
    for (const [id, fn] of functions) {
      const env = fn.Properties.Environment.Variables as Record<string, string>;
      let problem: string | null = null;
      try {
        readSettings(env);
      } catch (error) {
        problem = (error as Error).message;
      }
      expect({ id, problem }).toEqual({ id, problem: null });
    }
  });
});
