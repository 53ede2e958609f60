import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
// @action-validator/core: the workflow schema (SchemaStore's) compiled to
// WebAssembly, as the @action-validator/cli command runs it; offline.
import { validateWorkflow } from '@action-validator/core';

const dir = join(__dirname, '..', '.github', 'workflows');
const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a workflow's YAML, of any shape, which the tests take apart
const load = (name: string): any => parse(readFileSync(join(dir, name), 'utf8'));

describe('the GitHub Actions workflows', () => {
  it('are the three the README names', () => {
    expect(files.sort()).toEqual(['ci.yml', 'deploy.yml', 'release-model.yml']);
  });

  it.each(files)('%s validates with action-validator', (name) => {
    expect(validateWorkflow(readFileSync(join(dir, name), 'utf8')).errors).toEqual([]);
  });

  it('the validator rejects a broken workflow (the check is live)', () => {
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps: [{run: x}]\n').errors.length).toBeGreaterThan(0);
  });
});

describe('ci.yml', () => {
  const ci = load('ci.yml');
  const job = ci.jobs.test;
  const runs = job.steps.map((s: { run?: string }) => s.run ?? '').join('\n');

  it('runs on pull requests and pushes, and for deploy.yml', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push', 'workflow_call']));
  });
  it('runs .ci/run as root in debian:12 with Node 22 from a checked tarball', () => {
    expect(job.container.image).toBe('debian:12');
    expect(job.container.options).toContain('--user root');
    expect(runs).toContain('bash .ci/run');
    expect(runs).toMatch(/SHASUMS256\.txt[\s\S]*sha256sum -c/);
    expect(job.env.NODE_MAJOR).toBe('22');
  });
  it('caches ~/.npm by the lock file and checks the churn CSV sha256 into ../shared', () => {
    const cache = job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/cache@'));
    expect(cache.with.path).toBe('~/.npm');
    expect(cache.with.key).toContain("hashFiles('repo/package-lock.json')");
    const csv = job.steps.find((s: { env?: Record<string, string> }) => s.env?.CSV_SHA256);
    expect(csv.env.CSV_SHA256).toBe('88be4b93fbe0cc83421af1c503794c97c342eca914c1576db7c276e61d61358a');
    expect(csv.run).toContain('shared/data/telco-customer-churn.csv');
    expect(job.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout@')).with.path).toBe('repo');
  });
  it('has a concurrency group per ref', () => {
    expect(ci.concurrency.group).toContain('github.ref');
  });
});

describe('deploy.yml', () => {
  const deploy = load('deploy.yml');

  it('runs on pushes to main, after the tests', () => {
    expect(deploy.on.push.branches).toEqual(['main']);
    expect(deploy.jobs.test.uses).toBe('./.github/workflows/ci.yml');
    expect(deploy.jobs.dev.needs).toBe('test');
    expect(deploy.jobs.prod.needs).toBe('dev');
  });

  it.each(['dev', 'prod'])('%s: OIDC credentials, its environment, non-cancelling concurrency, package then deploy that package, smoke, rollback', (stage) => {
    const job = deploy.jobs[stage];
    expect(job.permissions['id-token']).toBe('write');
    expect(job.environment).toBe(stage);
    expect(job.concurrency).toEqual({ group: `deploy-${stage}`, 'cancel-in-progress': false });
    expect(job.env.STAGE).toBe(stage);
    const steps: { uses?: string; run?: string; if?: string; with?: Record<string, string> }[] = job.steps;
    const aws = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))!;
    expect(aws.with!['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    const runs = steps.map((s) => s.run ?? '');
    const at = (text: string) => runs.findIndex((r) => r.includes(text));
    expect(at('serverless package --stage "$STAGE"')).toBeGreaterThan(-1);
    expect(at('serverless deploy --stage "$STAGE" --region "$AWS_REGION" --package ".serverless-$STAGE"')).toBeGreaterThan(at('serverless package'));
    expect(at('serverless deploy list')).toBeLessThan(at('serverless deploy --stage'));
    expect(at('::add-mask::')).toBeGreaterThan(-1);
    expect(runs[at('--include-values')]).toContain('SMOKE_API_KEY');
    expect(at('npm run smoke -- --stage "$STAGE"')).toBeGreaterThan(at('serverless deploy --stage'));
    const rollback = steps.find((s) => s.run?.includes('serverless rollback'))!;
    expect(rollback.if).toContain("steps.smoke.outcome == 'failure'");
    expect(rollback.run).toContain('--timestamp "$PREVIOUS"');
    expect(rollback.run).toMatch(/exit 1\s*$/);
  });

  it('stores no AWS keys', () => {
    expect(readFileSync(join(dir, 'deploy.yml'), 'utf8')).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY|secrets\./);
  });
});

describe('release-model.yml', () => {
  const release = load('release-model.yml');
  const text = readFileSync(join(dir, 'release-model.yml'), 'utf8');

  it('is dispatched with the model, version, shadow wait and canary share', () => {
    expect(Object.keys(release.on.workflow_dispatch.inputs)).toEqual(expect.arrayContaining(['model', 'version', 'shadow_minutes', 'canary_percent']));
  });
  it('checks, commits each traffic change and deploys it with deploy.yml', () => {
    expect(text).toContain('npm run model:check');
    expect(text).toContain('--shadow "$VERSION"');
    expect(text).toContain('--promote "$VERSION"');
    for (const job of ['deploy-shadow', 'deploy-canary', 'deploy-promote', 'deploy-rollback']) expect(release.jobs[job].uses).toBe('./.github/workflows/deploy.yml');
    expect((text.match(/git push origin HEAD:main/g) ?? []).length).toBe(4);
  });
  it('decides with release:decide on exit codes 0, 10 and 20, into the step summary', () => {
    for (const phase of ['shadow', 'canary']) {
      const run: string = release.jobs[`decide-${phase}`].steps.find((s: { run?: string }) => s.run?.includes('release:decide')).run;
      expect(run).toContain(`--stage prod --model "$MODEL" --version "$VERSION" --phase ${phase}`);
      expect(run).toMatch(/0\) exit 0/);
      expect(run).toMatch(/10\)/);
      expect(run).toMatch(/20\)/);
      expect(run).toContain('GITHUB_STEP_SUMMARY');
    }
    expect(release.jobs.failed.steps[0].run).toContain('exit 1');
  });
});
