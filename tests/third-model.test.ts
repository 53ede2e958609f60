import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../lib/model';
import { findVersion, listModels } from '../lib/repository/model-repository';
import { invoke, type HttpHandler } from './helpers/lambda';
import { modelsDir, parityFixture } from './helpers/models';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';

/** A new model is a new folder: here a churn clone filed as retention/2.0.0. */
function addModelFolder(root: string): void {
  const source = path.join(modelsDir, 'churn', parityFixture('churn').version);
  const target = path.join(root, 'retention', '2.0.0');
  cpSync(source, target, { recursive: true });
  for (const file of ['model.json', 'parity.json']) {
    const json = JSON.parse(readFileSync(path.join(target, file), 'utf8'));
    Object.assign(json, file === 'model.json' ? { name: 'retention', version: '2.0.0' } : { model: 'retention', version: '2.0.0' });
    writeFileSync(path.join(target, file), JSON.stringify(json));
  }
}

describe('adding a model folder, with no code change', () => {
  let root: string;
  const handlers: Record<string, HttpHandler> = {};
  let restoreSettings: () => void;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'models-'));
    cpSync(modelsDir, root, { recursive: true });
    addModelFolder(root);
    restoreSettings = changeSettings({ MODELS_DIR: root });
    jest.isolateModules(() => {
      for (const name of ['models', 'predict', 'v2-metadata', 'v2-infer']) {
        handlers[name] = (require(`../handlers/${name}`) as { handler: HttpHandler }).handler;
      }
    });
  });

  afterAll(() => {
    restoreSettings();
    rmSync(root, { recursive: true, force: true });
  });

  it('passes the model check: a valid manifest, and it loads and answers its golden cases', async () => {
    const entry = findVersion('retention', undefined, root);
    expect({ version: entry.version, problem: entry.problem }).toEqual({ version: '2.0.0', problem: null });
    const model = await loadModel(entry.dir, entry.manifest!);
    expect(model.info).toMatchObject({ name: 'retention', version: '2.0.0', kind: 'binary-classification' });
    await model.release();
  });

  it('is listed by GET /models, beside every committed model', async () => {
    const reply = await invoke(handlers.models!, route('GET', '/models'));
    const listed = (reply.json.models as { name: string; kind: string; versions: string[] }[]);
    const committed = listModels(modelsDir).map((m) => m.name);
    expect(listed.map((m) => m.name)).toEqual([...committed, 'retention'].sort());
    expect(listed.find((m) => m.name === 'retention')).toMatchObject({ kind: 'binary-classification', versions: ['2.0.0'] });
  });

  it('is callable through POST /models/retention/predict and the Open Inference Protocol', async () => {
    const customer = parityFixture('churn').cases[7]!;
    const reply = await invoke(handlers.predict!, { ...route('POST', '/models/{name}/predict', { name: 'retention' }), json: customer.input });
    expect(reply.status).toBe(200);
    expect(reply.json.model).toEqual({ name: 'retention', version: '2.0.0' });
    expect(Math.abs((reply.json.churn_probability as number) - customer.churn_probability)).toBeLessThan(1e-5);

    const meta = await invoke(handlers['v2-metadata']!, route('GET', '/v2/models/{name}', { name: 'retention' }));
    expect(meta.json).toMatchObject({ name: 'retention', versions: ['2.0.0'], platform: 'onnxruntime_onnx' });
    const ready = await invoke(handlers['v2-metadata']!, route('GET', '/v2/models/{name}/ready', { name: 'retention' }));
    expect(ready.json).toEqual({ name: 'retention', ready: true });
    const server = await invoke(handlers['v2-metadata']!, route('GET', '/v2/health/ready'));
    expect(server.json).toEqual({ live: true, ready: true });
  });
});
