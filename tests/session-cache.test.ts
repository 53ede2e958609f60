import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { HttpHandler } from './helpers/lambda';
import { invoke } from './helpers/lambda';
import { parityFixture } from './helpers/models';
import { changeSettings, withSettings } from './helpers/settings';

describe('the default model\'s session', () => {
  it('creates exactly one session per container, however many calls follow', async () => {
    // A spy that calls through: the real onnxruntime still builds the session.
    const create = jest.spyOn(ort.InferenceSession, 'create');
    // Required only now (each jest file has its own module registry), so the
    // spy sees the module-scope load that Lambda's init phase would run.
    const predict = (require('../handlers/predict') as { handler: HttpHandler }).handler;
    const health = (require('../handlers/health') as { handler: HttpHandler }).handler;
    // Loading starts when the module is imported (Lambda's init phase), before any call.
    expect(create).toHaveBeenCalledTimes(1);

    const customers = parityFixture().cases.slice(0, 50);
    for (const customer of customers) {
      expect((await invoke(predict, { json: customer.input })).status).toBe(200);
    }
    expect((await invoke(predict, { json: { instances: customers.map((c) => c.input) } })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await invoke(health, { method: 'GET', path: '/health' })).status).toBe(200);

    expect(create).toHaveBeenCalledTimes(1);
    create.mockRestore();
  });
});

/** A container's registry and repository, loaded afresh, with call-through spies on its onnxruntime's session creation and release. */
function freshRegistry() {
  let registry!: typeof import('../lib/registry');
  let repository!: typeof import('../lib/repository/model-repository');
  let create!: jest.SpyInstance;
  let release!: jest.SpyInstance;
  jest.isolateModules(() => {
    const ortModule = require('onnxruntime-node') as typeof import('onnxruntime-node');
    create = jest.spyOn(ortModule.InferenceSession, 'create');
    const sessionClass = ortModule.InferenceSession as unknown as { prototype: { release: () => Promise<void> } };
    release = jest.spyOn(sessionClass.prototype, 'release');
    registry = require('../lib/registry');
    repository = require('../lib/repository/model-repository');
  });
  // What serving a request asks of the registry: the chosen version, ready.
  const serve = (name: string, version?: string) => registry.readyModel(repository.findVersion(name, version));
  return { registry, serve, create, release };
}

describe('the per-version session cache', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cache-'));
  let restoreSettings: () => void;

  beforeAll(() => {
    const source = path.join(__dirname, '..', 'models', 'churn', parityFixture('churn').version);
    for (const version of ['1.0.0', '1.1.0']) {
      const target = path.join(root, 'churn', version);
      cpSync(source, target, { recursive: true });
      const manifest = JSON.parse(readFileSync(path.join(target, 'model.json'), 'utf8'));
      writeFileSync(path.join(target, 'model.json'), JSON.stringify({ ...manifest, version }));
    }
    restoreSettings = changeSettings({ MODELS_DIR: root });
  });

  afterAll(() => {
    restoreSettings();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds one session per model version, reused by every call', async () => {
    const { registry, serve, create } = freshRegistry();
    for (let i = 0; i < 10; i++) {
      await serve('churn');
      await serve('churn', '1.0.0');
      await serve('churn', '1.1.0');
    }
    expect(create).toHaveBeenCalledTimes(2);
    expect(registry.cachedSessions()).toBe(2);
  });

  it('is bounded by MAX_SESSIONS, releasing the least recently used session', async () => {
    await withSettings({ MAX_SESSIONS: '1' }, async () => {
      const { registry, serve, create, release } = freshRegistry();
      await serve('churn', '1.0.0');
      await serve('churn', '1.1.0');
      await serve('churn', '1.0.0');
      await new Promise((resolve) => setImmediate(resolve));
      expect(registry.cachedSessions()).toBe(1);
      expect(create).toHaveBeenCalledTimes(3);
      expect(release).toHaveBeenCalledTimes(2);
    });
  });
});

describe('the session cache with WATCH_MODELS (npm start)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'watch-cache-'));
  const source = path.join(__dirname, '..', 'models', 'churn', parityFixture('churn').version);
  const manifestFile = (version: string) => path.join(root, 'churn', version, 'model.json');

  beforeAll(() => {
    for (const version of ['1.0.0', '1.1.0']) {
      cpSync(source, path.join(root, 'churn', version), { recursive: true });
      writeFileSync(manifestFile(version), JSON.stringify({ ...JSON.parse(readFileSync(manifestFile(version), 'utf8')), version }));
    }
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the sessions of versions whose files did not change, and replaces (releasing) one whose files did', async () => {
    await withSettings({ MODELS_DIR: root, WATCH_MODELS: 'true' }, async () => {
      const { registry, serve: serveVersion, create, release } = freshRegistry();
      const serve = (version: string) => serveVersion('churn', version);
      await serve('1.0.0');
      await serve('1.1.0');
      expect(create).toHaveBeenCalledTimes(2);
      // Another file of the model changes (a traffic file): no version is loaded again.
      writeFileSync(path.join(root, 'churn', 'traffic.json'), JSON.stringify({ split: { '1.0.0': 100 } }));
      await serve('1.0.0');
      await serve('1.1.0');
      expect(create).toHaveBeenCalledTimes(2);
      // 1.1.0's manifest changes: it loads afresh, its old session is released, 1.0.0 keeps its own.
      const manifest = JSON.parse(readFileSync(manifestFile('1.1.0'), 'utf8'));
      writeFileSync(manifestFile('1.1.0'), JSON.stringify({ ...manifest, description: `${manifest.description} (edited)` }, null, 1));
      expect((await serve('1.1.0')).manifest.description).toMatch(/\(edited\)$/);
      await serve('1.0.0');
      await new Promise((resolve) => setImmediate(resolve));
      expect(create).toHaveBeenCalledTimes(3);
      expect(release).toHaveBeenCalledTimes(1);
      expect(registry.cachedSessions()).toBe(2);
    });
  });
});
