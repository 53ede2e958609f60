import { callWithKey } from '../helpers/local-api';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { parityFixture, repoRoot, served } from '../helpers/models';
import { scratchModelsDir } from '../helpers/models-dir';

/**
 * npm start over a models folder that changes under it, and stopped under
 * load: a model:traffic step reaches every worker at the next request (no
 * restart, no worker a step behind), a deleted manifest makes its model
 * broken at once, and SIGTERM with requests in flight answers every one of
 * them before it stops, leaving no process behind.
 */

const customers = parityFixture().cases.map((c) => c.input);

/** A process and all its descendants (npm, the gateway, serverless-offline in its own group), from /proc. */
function descendantsOf(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(descendantsOf)];
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start over a changing models folder, then stopped under load', () => {
  let api: LocalApi | undefined;
  let key: string;
  const dir = scratchModelsDir(true);
  const churn = path.join(dir, 'churn');
  const newest = served('churn').version;

  beforeAll(async () => {
    // A second churn version, the same files under another version.
    cpSync(path.join(churn, newest), path.join(churn, '2.0.0'), { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(churn, '2.0.0', 'model.json'), 'utf8'));
    writeFileSync(path.join(churn, '2.0.0', 'model.json'), JSON.stringify({ ...manifest, version: '2.0.0' }));
    api = await startLocalApi({ settings: { MODELS_DIR: dir } });
    key = api.keys['ml-inference-local-pro']!;
  }, 120_000);

  afterAll(async () => {
    if (api) await stopProcessGroup(api.child);
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (route: string, init: RequestInit = {}) => callWithKey(api!.base, key, route, init);
  /** Six calls at once, so that several workers answer (reserved concurrency 6). */
  const versionsServed = async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => call('/models/churn/predict', { method: 'POST', body: JSON.stringify(customers[i]) })));
    return new Set(await Promise.all(replies.map(async (r) => ((await r.json()) as { model: { version: string } }).model.version)));
  };
  const traffic = (...args: string[]) => {
    const run = spawnSync('npm', ['run', '-s', 'model:traffic', '--', 'churn', ...args], { cwd: repoRoot, env: { ...process.env, MODELS_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
  };

  it('serves each npm run model:traffic step from the next request on, on every worker and route', async () => {
    expect(await versionsServed()).toEqual(new Set(['2.0.0']));
    traffic('--split', `${newest}=100`, '--label', `stable=${newest}`);
    expect(await versionsServed()).toEqual(new Set([newest]));
    expect(((await (await call('/models/churn')).json()) as { version: string }).version).toBe(newest);
    traffic('--promote', '2.0.0');
    expect(await versionsServed()).toEqual(new Set(['2.0.0']));
    expect(((await (await call('/models/churn')).json()) as { version: string }).version).toBe('2.0.0');
    traffic('--promote', newest);
    expect(await versionsServed()).toEqual(new Set([newest]));
  });

  it('makes a model whose manifest was deleted broken at the next request: 503 with the reason, server not ready', async () => {
    rmSync(path.join(dir, 'intent', '1.0.0', 'model.json'));
    const reply = await call('/models/intent/predict', { method: 'POST', body: '{"text":"hello"}' });
    expect(reply.status).toBe(503);
    // intent has a traffic file: the version it names is not ready, and why.
    expect(await reply.json()).toMatchObject({ code: 'model_unavailable', error: expect.stringContaining('which is not ready: model.json is missing') });
    expect((await call('/v2/health/ready')).status).toBe(503);
    expect((await call('/models/churn/predict', { method: 'POST', body: JSON.stringify(customers[0]) })).status).toBe(200);
  });

  it('answers every request in flight when stopped with SIGTERM, then leaves no process behind', async () => {
    const batch = JSON.stringify({ instances: customers.slice(0, 1000) });
    const inFlight = Array.from({ length: 6 }, () => call('/models/churn/predict', { method: 'POST', body: batch }).then(async (r) => ({ status: r.status, records: ((await r.json()) as { predictions?: unknown[] }).predictions?.length })));
    // The requests are on their way (bodies sent) before the signal.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const processes = descendantsOf(api!.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(3);
    process.kill(-api!.child.pid!, 'SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ status: 200, records: 1000 })));
    // Then it is gone, serverless-offline (in a process group of its own) with it.
    const deadline = Date.now() + 20_000;
    while (processes.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processes.filter(alive)).toEqual([]);
    api = undefined;
  }, 60_000);
});
