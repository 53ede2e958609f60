import { callWithKey } from '../helpers/local-api';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { environmentWithoutSettings, freePort, startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { repoRoot, served } from '../helpers/models';
import { scratchModelsDir } from '../helpers/models-dir';

const customerExample = () => JSON.parse(readFileSync(path.join(repoRoot, 'examples', 'customer.json'), 'utf8')) as Record<string, unknown>;

/**
 * `npm start` and the functions' settings given in the shell (README,
 * "Settings"): a malformed one stops it before anything starts; valid ones
 * reach the functions over serverless.yml's, MODELS_DIR included.
 */

describe('npm start with a malformed setting in the shell', () => {
  it.each([
    [{ MAX_BATCH: 'abc' }, ['npm start: MAX_BATCH is "abc": expected an integer from 1 to 100000']],
    [
      { MAX_BODY_BYTES: '-1', XRAY_TRACING: 'yes' },
      ['npm start: MAX_BODY_BYTES is "-1": expected an integer from 1 to 4620288', 'npm start: XRAY_TRACING is "yes": expected true or false'],
    ],
    [{ MODELS_DIR: '/no/such/models-folder' }, ['npm start: MODELS_DIR is "/no/such/models-folder": expected a folder, and /no/such/models-folder is none']],
    [{ PORT: '80a' }, ['npm start: PORT is "80a": expected an integer from 1 to 65535']],
  ])('%j: refuses to start and exits 1, naming the variable, before it compiles or starts anything', async (settings, refusal) => {
    const [port, lambdaPort] = [await freePort(), await freePort()];
    const run = spawnSync('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: { ...environmentWithoutSettings(), PORT: String(port), LAMBDA_PORT: String(lambdaPort), ...settings, SLS_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    // npm's own warning about .npmrc's onnxruntime setting aside, the refusal is all it says.
    expect(run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('npm warn'))).toEqual(refusal);
    // Nothing compiled ("Compiled the local stage's template…"), no serverless-offline output, no banner.
    expect(run.stdout).toBe('');
  });
});

describe('npm start with settings in the shell', () => {
  let local: LocalApi | undefined;
  let dir: string;
  const churnVersion = served('churn').version;
  const settings = () => ({
    MODELS_DIR: dir,
    DEFAULT_MODEL: 'retention',
    MAX_BATCH: '2',
    SERVICE_VERSION: '9.9.9-from-the-shell',
    POWERTOOLS_SERVICE_NAME: 'ml-inference-from-the-shell',
  });

  beforeAll(async () => {
    // A folder unlike models/: churn without intent, and a model found nowhere else (churn's files filed as retention/2.0.0).
    dir = scratchModelsDir([`churn/${churnVersion}`]);
    cpSync(path.join(dir, 'churn', churnVersion), path.join(dir, 'retention', '2.0.0'), { recursive: true });
    const manifest = path.join(dir, 'retention', '2.0.0', 'model.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), name: 'retention', version: '2.0.0' }));
    local = await startLocalApi({ settings: settings() });
  }, 180_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (route: string, init: RequestInit = {}) => callWithKey(local!.base, local!.keys['ml-inference-local-pro']!, route, init);

  it('serves the MODELS_DIR folder, not the models npm start copies beside the bundles, with DEFAULT_MODEL as the default', async () => {
    const models = await call('/models');
    expect(models.status).toBe(200);
    const list = (await models.json()) as { models: { name: string; versions: string[] }[]; default: string };
    expect(list.models.map((m) => [m.name, m.versions])).toEqual([
      ['churn', [churnVersion]],
      ['retention', ['2.0.0']],
    ]);
    expect(list.default).toBe('retention');
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', model: { name: 'retention', version: '2.0.0' } });
    const scored = await call('/models/retention/predict', { method: 'POST', body: JSON.stringify(customerExample()) });
    expect(scored.status).toBe(200);
    expect(await scored.json()).toMatchObject({ model: { name: 'retention', version: '2.0.0' } });
  });

  it("takes MAX_BATCH from the shell over serverless.yml's 1000", async () => {
    const batch = (n: number) => call('/predict', { method: 'POST', body: JSON.stringify({ instances: Array(n).fill(customerExample()) }) });
    expect((await batch(2)).status).toBe(200);
    const over = await batch(3);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: string }).error).toBe('"instances" holds 3 records; at most 2 are accepted per request (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")');
  });

  it('reports SERVICE_VERSION and POWERTOOLS_SERVICE_NAME from the shell in GET /v2', async () => {
    const metadata = await call('/v2');
    expect(await metadata.json()).toEqual({ name: 'ml-inference-from-the-shell', version: '9.9.9-from-the-shell', extensions: [] });
  });

  it('names the settings it took from the shell in its banner', () => {
    const given = Object.entries(settings())
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    expect(local!.log.join('')).toContain(`Settings from the shell, over serverless.yml's: ${given}\n`);
  });
});
