import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { serviceName, shortPlanName, usagePlanName } from '../../scripts/keys/naming';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';

/**
 * Customer keys on a running `npm start` (README, "Access"), each step with
 * the `npm run keys` command a user types: a key created works on the next
 * request, with its plan's limits; rotated, the new key works and the old
 * one until the grace ends; revoked, 403 at once; `keys usage` counts what
 * got through. No restart between steps.
 *
 * Time is not waited for: the gateway and the CLI read the clock shift in
 * LOCAL_GATEWAY_TIME_SHIFT_FILE (local stage only), which the test moves on
 * past the grace. The keys folder is the test's own (LOCAL_KEYS_DIR).
 */

describe('customer keys on npm start, managed with npm run keys', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'local-keys-'));
  const shift = path.join(dir, 'clock-shift');
  const env = { LOCAL_KEYS_DIR: dir, LOCAL_GATEWAY_TIME_SHIFT_FILE: shift };
  let api: LocalApi | undefined;
  /** Every answer a key of acme got, by status: what `keys usage` must count. */
  const acmeAnswers: number[] = [];
  let acme: { customer: string; plan: string; key: string; keyId: string; apiKeyId: string };
  let rotated: typeof acme;

  beforeAll(async () => {
    api = await startLocalApi({ settings: env });
  }, 120_000);

  afterAll(async () => {
    if (api) await stopProcessGroup(api.child);
    rmSync(dir, { recursive: true, force: true });
  });

  function keys(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync('npm', ['run', '-s', 'keys', '--', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }
  const json = <T>(...args: string[]): T => {
    const run = keys(...args, '--json');
    expect({ status: run.status, refused: /^keys: .*/m.exec(run.stderr)?.[0] }).toEqual({ status: 0, refused: undefined });
    return JSON.parse(run.stdout) as T;
  };
  const health = async (key: string) => {
    const res = await fetch(`${api!.base}/health`, { headers: { 'x-api-key': key } });
    return { status: res.status, body: await res.text() };
  };
  const acmeHealth = async (key: string) => {
    const answer = await health(key);
    acmeAnswers.push(answer.status);
    return answer;
  };
  /** The access lines npm start printed (the stage's format: requestId, apiKeyId, status, …). */
  const accessLines = () =>
    api!.log
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{"requestId"'))
      .map((line) => JSON.parse(line) as { apiKeyId: string; status: number });

  it('says at start where the customer keys are, with no value printed', () => {
    expect(api!.log.join('')).toContain(`Customer keys: 0 customers in ${dir}/customer-keys.json, re-read at every request (npm run keys -- list).`);
  });

  it('a key from keys create works on the next request, with its plan\'s limits (the free plan: a burst of 10, 5/s)', async () => {
    acme = json('create', '--customer', 'acme', '--plan', 'free', '--stage', 'local');
    expect(acme).toMatchObject({ customer: 'acme', plan: 'free', key: expect.stringMatching(/^mlk_[0-9a-z]{10}_[A-Za-z0-9]{32}$/) });
    const started = Date.now();
    const answers: { status: number; body: string }[] = [];
    for (let i = 0; i < 25; i += 1) answers.push(await acmeHealth(acme.key));
    const seconds = (Date.now() - started) / 1000;
    expect(answers[0]!.status).toBe(200);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(10 + Math.ceil(5 * seconds));
    for (const a of refused) expect(JSON.parse(a.body)).toMatchObject({ code: 'throttled' });
    // A pro customer's key is not throttled by the same burst.
    const beta = json<{ key: string }>('create', '--customer', 'beta', '--plan', 'pro');
    const onPro: number[] = [];
    for (let i = 0; i < 25; i += 1) onPro.push((await health(beta.key)).status);
    expect(onPro).toEqual(Array(25).fill(200));
  });

  it('keys list --json names the customers and never prints a key value', () => {
    const run = keys('list', '--stage', 'local', '--json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout).customers.map((c: { customer: string; plan: string }) => [c.customer, c.plan])).toEqual([
      ['acme', 'free'],
      ['beta', 'pro'],
    ]);
    expect(run.stdout).not.toContain(acme.key);
    expect(keys('list').stdout).not.toContain(acme.key);
  });

  it('after keys rotate, the new key works and the old one until the grace ends, both with the customer\'s apiKeyId', async () => {
    // Two seconds on (the clock shift): the old key's bucket, emptied by the burst above, refills at the free plan's 5/s.
    writeFileSync(shift, '2s');
    rotated = json('rotate', 'acme', '--grace', '1h', '--stage', 'local');
    expect(rotated).toMatchObject({ customer: 'acme', plan: 'free', apiKeyId: acme.apiKeyId });
    expect(rotated.key).not.toBe(acme.key);
    expect((await acmeHealth(rotated.key)).status).toBe(200);
    expect((await acmeHealth(acme.key)).status).toBe(200);
    // The grace ends: the clock moves on an hour, and the old key is refused at once.
    writeFileSync(shift, '1h2s');
    expect((await acmeHealth(acme.key)).status).toBe(403);
    expect((await acmeHealth(rotated.key)).status).toBe(200);
    // Every request of acme reached the functions (and the access line) with one id, whichever key it came with.
    // (A refused key has no id: "-".) The last line may still be on its way through the pipe.
    const passed = acmeAnswers.filter((s) => s !== 403).length;
    const deadline = Date.now() + 5000;
    while (accessLines().filter((l) => l.apiKeyId === acme.apiKeyId).length < passed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accessLines().filter((l) => l.apiKeyId === acme.apiKeyId).length).toBe(passed);
  });

  it('after keys revoke, 403 at once, with the INVALID_API_KEY body', async () => {
    const run = keys('revoke', 'acme', '--stage', 'local');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Revoked customer acme on stage local');
    const answer = await acmeHealth(rotated.key);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'invalid_api_key' });
  });

  it('keys usage counts every request that got through, and none refused', () => {
    const report = json<{ total: number; days: { requests: number }[]; quota: { limit: number }; keys: { keyId: string; requests: number }[] }>('usage', 'acme', '--stage', 'local');
    const through = acmeAnswers.filter((s) => s === 200).length;
    expect(through).toBeGreaterThan(10);
    expect(report.total).toBe(through);
    expect(report.days.reduce((s, d) => s + d.requests, 0)).toBe(through);
    expect(report.quota.limit).toBe(10_000);
    expect(report.keys.map((k) => k.keyId)).toEqual([acme.keyId, rotated.keyId]);
    const text = keys('usage', 'acme').stdout;
    expect(text).toMatch(new RegExp(`total +${through}\\n`));
  });
});

describe('the names npm run keys looks for on a deployed stage', () => {
  it.each(['dev', 'prod'])('are the usage plan names %s compiles', (stage) => {
    const service = serviceName(repoRoot);
    const names = resourcesOfType(template(stage), 'AWS::ApiGateway::UsagePlan').map(([, p]) => String(p.Properties.UsagePlanName));
    expect(names.map((n) => shortPlanName(n, service, stage)).sort()).toEqual(['free', 'pro']);
    for (const plan of ['free', 'pro']) expect(names).toContain(usagePlanName(service, plan, stage));
  });
});
