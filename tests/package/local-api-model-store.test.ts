import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { callWithKey } from '../helpers/local-api';
import { repoRoot, served } from '../helpers/models';
import { scratchModelsDir } from '../helpers/models-dir';
import { startS3, type LocalS3 } from '../helpers/s3rver';

/**
 * README, "Large models", try it locally: a model pushed with
 * `npm run model:push` to a local S3-compatible server (s3rver, started
 * here) answers through `npm start` with MODEL_STORE set, and the local API
 * serves the store's models, not models/.
 */

const BUCKET = 'models';
const exec = promisify(execFile);
const customer = () => JSON.parse(readFileSync(path.join(repoRoot, 'examples', 'customer.json'), 'utf8')) as Record<string, unknown>;

describe('npm start with MODEL_STORE: the local API serves a local S3 model store', () => {
  let s3: LocalS3;
  let local: LocalApi | undefined;
  let dir: string;
  const store = `s3://${BUCKET}/local/`;

  beforeAll(async () => {
    s3 = await startS3([BUCKET]);
    // A model found only in the store: churn's files filed as retention/2.0.0.
    const churn = served('churn').version;
    dir = scratchModelsDir([`churn/${churn}`]);
    cpSync(path.join(dir, 'churn', churn), path.join(dir, 'retention', '2.0.0'), { recursive: true });
    const manifest = path.join(dir, 'retention', '2.0.0', 'model.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), name: 'retention', version: '2.0.0' }));
    const { stdout } = await exec('npm', ['run', '-s', 'model:push', '--', 'retention'], { cwd: repoRoot, env: { ...process.env, ...s3.env, MODEL_STORE: store, MODELS_DIR: dir }, timeout: 120_000 });
    expect(stdout).toMatch(/^retention 2\.0\.0: \d+ files/m);
    local = await startLocalApi({ settings: { MODEL_STORE: store, DEFAULT_MODEL: 'retention', ...s3.env } });
  }, 240_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (route: string, init: RequestInit = {}) => callWithKey(local!.base, local!.keys['ml-inference-local-free']!, route, init);

  it("lists the store's models only, and scores with the pushed model", async () => {
    const models = (await (await call('/models')).json()) as { models: { name: string }[] };
    expect(models.models.map((m) => m.name)).toEqual(['retention']);
    const scored = await call('/models/retention/predict', { method: 'POST', body: JSON.stringify(customer()) });
    expect(scored.status).toBe(200);
    expect(await scored.json()).toMatchObject({ model: { name: 'retention', version: '2.0.0' } });
    // churn is in models/, not in the store.
    expect((await call('/models/churn/predict', { method: 'POST', body: JSON.stringify(customer()) })).status).toBe(404);
  });
});
