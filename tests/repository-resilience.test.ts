import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { addModel } from '../scripts/model-add/main';
import { invoke, type HttpHandler } from './helpers/lambda';
import { modelsDir, served } from './helpers/models';
import { scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';

const predict = predictHandler as unknown as HttpHandler;
const models = modelsHandler as unknown as HttpHandler;
const metadata = metadataHandler as unknown as HttpHandler;
const customer = JSON.parse(readFileSync(path.join(modelsDir, '..', 'examples', 'customer.json'), 'utf8'));
const predictOn = (name: string, json: unknown, version?: string) =>
  invoke(predict, version ? { ...route('POST', '/models/{name}/versions/{version}/predict', { name, version }), json } : { ...route('POST', '/models/{name}/predict', { name }), json });

afterAll(() => changeSettings({ MODELS_DIR: undefined }));

/** The bundled answer, from the bundled folder, before anything is broken. */
async function bundledAnswers() {
  useModelsDir(modelsDir);
  const churn = await predictOn('churn', customer);
  const intent = await predictOn('intent', { text: 'I want to cancel my subscription' });
  return { churn: churn.json, intent: intent.json };
}

function writeJson(file: string, value: unknown) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
}

describe('a broken folder beside good ones', () => {
  let before: Awaited<ReturnType<typeof bundledAnswers>>;
  const dir = scratchModelsDir(true);
  beforeAll(async () => {
    before = await bundledAnswers();
    writeJson(path.join(dir, 'garbled', '1.0.0', 'model.json'), '{not json');
    writeJson(path.join(dir, 'unknown-kind', '1.0.0', 'model.json'), { name: 'unknown-kind', version: '1.0.0', kind: 'magic' });
    // A valid manifest whose ONNX file is corrupt: a model that fails to load.
    const manifest = JSON.parse(readFileSync(path.join(dir, 'churn', '1.0.0', 'model.json'), 'utf8'));
    writeJson(path.join(dir, 'corrupt', '1.0.0', 'model.json'), { ...manifest, name: 'corrupt' });
    writeFileSync(path.join(dir, 'corrupt', '1.0.0', 'model.onnx'), 'not onnx');
    useModelsDir(dir);
  });

  it('changes no other model\'s answers', async () => {
    expect((await predictOn('churn', customer)).json).toEqual(before.churn);
    expect((await predictOn('intent', { text: 'I want to cancel my subscription' })).json).toEqual(before.intent);
  });

  it('GET /models lists the invalid folders with the reason, never 500', async () => {
    const list = await invoke(models, route('GET', '/models'));
    expect(list.status).toBe(200);
    const byName = new Map((list.json.models as { name: string; invalid?: { problem: string }[] }[]).map((m) => [m.name, m]));
    expect(byName.get('garbled')!.invalid![0]!.problem).toBe('model.json is not valid JSON');
    expect(byName.get('unknown-kind')!.invalid![0]!.problem).toMatch(/\/kind must be one of binary-classification, text-classification, tabular, tensor/);
    expect(byName.get('churn')!.invalid).toBeUndefined();
  });

  it.each([
    ['GET /models/{name}', () => invoke(models, route('GET', '/models/{name}', { name: 'unknown-kind' }))],
    ['GET /v2/models/{name}', () => invoke(metadata, route('GET', '/v2/models/{name}', { name: 'unknown-kind' }))],
    ['POST /models/{name}/predict', () => predictOn('unknown-kind', customer)],
  ])('%s on an invalid folder: 503 with the reason', async (_, call) => {
    const reply = await call();
    expect(reply.status).toBe(503);
    expect(reply.json).toMatchObject({ code: 'model_unavailable', error: expect.stringMatching(/model\.json is (invalid|not valid JSON)/) });
  });

  it('GET /v2/models/{name}/ready on an invalid folder: 503, not ready, with the reason', async () => {
    const reply = await invoke(metadata, route('GET', '/v2/models/{name}/ready', { name: 'garbled' }));
    expect(reply.status).toBe(503);
    expect(reply.json).toMatchObject({ ready: false, reason: 'model.json is not valid JSON' });
  });

  it('a model that fails to load and a folder whose manifest is invalid: 503 on their routes, server not ready, the good models serve', async () => {
    const corrupt = await predictOn('corrupt', customer);
    expect(corrupt.status).toBe(503);
    expect(corrupt.json.error).toMatch(/sha256 mismatch/);
    const ready = await invoke(metadata, route('GET', '/v2/health/ready'));
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ live: true, ready: false, not_ready: ['corrupt', 'garbled', 'unknown-kind'], error: 'models not ready: corrupt, garbled, unknown-kind' });
    expect((await predictOn('churn', customer)).status).toBe(200);
  });
});

describe('an edited manifest never serves a wrong answer', () => {
  // Each edits the served (newest) version's manifest, which the unversioned route then loads.
  const servedManifest = (dir: string, name: string) => path.join(dir, name, served(name).version, 'model.json');

  it('swapped contract values (columns kept consistent): churn is 503 naming the golden case', async () => {
    const dir = scratchModelsDir(true);
    const file = servedManifest(dir, 'churn');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const contract = manifest.features.find((f: { name: string }) => f.name === 'contract');
    contract.values = [contract.values[1], contract.values[0], contract.values[2]];
    manifest.columns = manifest.features.flatMap((f: { name: string; type: string; values?: string[] }) => (f.type === 'numeric' ? [f.name] : f.values!.map((v) => `${f.name}=${v}`)));
    writeFileSync(file, JSON.stringify(manifest));
    useModelsDir(dir);
    const reply = await predictOn('churn', customer);
    expect(reply.status).toBe(503);
    expect(reply.json.error).toMatch(/golden case \d+ gives another answer than when the model was added/);
  });

  it('swapped intent labels: intent is 503', async () => {
    const dir = scratchModelsDir(true);
    const file = servedManifest(dir, 'intent');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    manifest.labels = [manifest.labels[2], manifest.labels[1], manifest.labels[0], manifest.labels[3]];
    writeFileSync(file, JSON.stringify(manifest));
    useModelsDir(dir);
    const reply = await predictOn('intent', { text: 'I want to cancel my subscription' });
    expect(reply.status).toBe(503);
    expect(reply.json.error).toMatch(/golden case/);
  });

  it('a changed threshold: churn is 503', async () => {
    const dir = scratchModelsDir(true);
    const file = servedManifest(dir, 'churn');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    manifest.output.threshold = 0.05;
    writeFileSync(file, JSON.stringify(manifest));
    useModelsDir(dir);
    expect((await predictOn('churn', customer)).status).toBe(503);
  });
});

describe('the README\'s add-a-version workflow', () => {
  it('npm run model:add -- models/churn/1.0.0/model.onnx --name churn --version 1.1.0 keeps the kind, keeps 1.0.0 serving and answers the same', async () => {
    const dir = scratchModelsDir(['churn/1.0.0']);
    useModelsDir(dir);
    const added = await addModel({ file: path.join(modelsDir, 'churn', '1.0.0', 'model.onnx'), name: 'churn', version: '1.1.0' });
    expect(added.manifest.kind).toBe('binary-classification');
    expect(added.traffic[0]).toBe('kept churn 1.0.0 serving 100%: wrote traffic.json (without it the newest version, 1.1.0, would serve everything)');
    expect(added.traffic).toContain('  promote:  npm run model:traffic -- churn --promote 1.1.0');
    expect(JSON.parse(readFileSync(path.join(dir, 'churn', 'traffic.json'), 'utf8'))).toEqual({ labels: { stable: '1.0.0' }, split: { '1.0.0': 100 } });
    useModelsDir(dir);
    const served = await predictOn('churn', customer);
    expect(served.json.model).toEqual({ name: 'churn', version: '1.0.0' });
    const added11 = await predictOn('churn', customer, '1.1.0');
    expect(added11.json.model).toEqual({ name: 'churn', version: '1.1.0' });
    expect(added11.json.churn_probability).toBe(served.json.churn_probability);
  });

  it('--promote serves the new version at once', async () => {
    const dir = scratchModelsDir(['churn/1.0.0']);
    useModelsDir(dir);
    const added = await addModel({ file: path.join(modelsDir, 'churn', '1.0.0', 'model.onnx'), name: 'churn', version: '1.1.0', promote: true });
    expect(added.traffic).toEqual(['promoted: churn 1.1.0 serves 100% (traffic.json written)']);
    useModelsDir(dir);
    expect((await predictOn('churn', customer)).json.model).toEqual({ name: 'churn', version: '1.1.0' });
  });
});
