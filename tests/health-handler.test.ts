import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findVersion } from '../lib/repository/model-repository';
import { invoke, type HttpHandler } from './helpers/lambda';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import type { ErrorBody } from './helpers/error-body';
import { manifestOf, modelsDir, parityFixture, served, trafficOnDisk } from './helpers/models';
import { changeSettings } from './helpers/settings';

interface Container {
  health: HttpHandler;
  predict: HttpHandler;
  /** Call-through spies on this container's own onnxruntime. */
  sessionsCreated: jest.SpyInstance;
  runs: jest.SpyInstance;
}

/** A fresh module registry is a fresh container: new cold start, new load. */
function freshContainer(): Container {
  let container!: Container;
  jest.isolateModules(() => {
    const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
    const sessionsCreated = jest.spyOn(ort.InferenceSession, 'create');
    // The typings expose a factory; at run time it is the class whose
    // prototype every session's run() comes from.
    const sessionClass = ort.InferenceSession as unknown as { prototype: { run: (...args: unknown[]) => Promise<unknown> } };
    const runs = jest.spyOn(sessionClass.prototype, 'run');
    container = {
      health: (require('../handlers/health') as { handler: HttpHandler }).handler,
      predict: (require('../handlers/predict') as { handler: HttpHandler }).handler,
      sessionsCreated,
      runs,
    };
  });
  return container;
}

const get = { method: 'GET', path: '/health' };

/**
 * The 503 message for the served churn version's problem in a models folder:
 * through its traffic file when churn has one there, which names the version.
 */
function unavailable(root: string, reason: string): string {
  const traffic = existsSync(path.join(root, 'churn', 'traffic.json'));
  return traffic ? `model unavailable: traffic.json names version "${served('churn').version}", which is not ready: ${reason}` : `model unavailable: ${reason}`;
}

describe('GET /health', () => {
  afterEach(() => {
    changeSettings({ MODELS_DIR: undefined });
  });

  it('reports the loaded model, its sha256 and load time, and the cold start once', async () => {
    const { health } = freshContainer();
    const first = await invoke(health, get);
    expect(first.status).toBe(200);
    const manifest = JSON.parse(readFileSync(path.join(findVersion('churn', served('churn').version, modelsDir).dir, 'model.json'), 'utf8'));
    expect(first.json).toEqual({
      status: 'ok',
      model: {
        name: 'churn',
        version: manifest.version,
        kind: manifest.kind,
        sha256: manifest.sha256,
        loaded_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        load_ms: expect.any(Number),
        golden_ms: expect.any(Number),
      },
      // The file as committed: none for churn (the newest version serves everything).
      traffic: trafficOnDisk('churn'),
      cold_start: true,
    });
    const second = await invoke(health, get);
    expect(second.json.cold_start).toBe(false);
  });

  it('has spies that do see a healthy container create its session and run it', async () => {
    const { predict, sessionsCreated, runs } = freshContainer();
    expect((await invoke(predict, { json: parityFixture().cases[0]!.input })).status).toBe(200);
    expect(sessionsCreated).toHaveBeenCalledTimes(1);
    // One run per golden case while loading (the self-test), then the prediction.
    expect(runs).toHaveBeenCalledTimes(manifestOf('churn').golden.cases.length + 1);
  });

  describe('with a damaged model', () => {
    let dir: string;
    beforeEach(() => {
      dir = scratchModelsDir(true);
      useModelsDir(dir);
    });
    afterEach(() => removeModelsDir(dir));

    it('answers 503 with the sha256 mismatch, and predict refuses to score', async () => {
      const onnx = path.join(findVersion('churn', served('churn').version, dir).dir, 'model.onnx');
      const bytes = readFileSync(onnx);
      const last = bytes.length - 1;
      bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last);
      writeFileSync(onnx, bytes);
      const { health, predict, sessionsCreated, runs } = freshContainer();

      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      const error = reply.json as unknown as ErrorBody;
      expect(error.code).toBe('model_unavailable');
      expect(error.error).toContain('sha256 mismatch');
      expect(error.error).toContain(createHash('sha256').update(bytes).digest('hex'));
      expect(error.error).not.toContain(dir);

      const scored = await invoke(predict, { json: parityFixture().cases[0]!.input });
      expect(scored.status).toBe(503);
      expect(scored.json).not.toHaveProperty('churn_probability');
      // The altered bytes never reached onnxruntime: no session, no run.
      expect(sessionsCreated).not.toHaveBeenCalled();
      expect(runs).not.toHaveBeenCalled();
    });

    it('answers 503 when the model file is missing', async () => {
      rmSync(path.join(findVersion('churn', served('churn').version, dir).dir, 'model.onnx'));
      const { health, predict, runs } = freshContainer();
      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      expect(reply.json.error).toBe(unavailable(dir, 'model.onnx is missing'));
      expect((await invoke(predict, { json: parityFixture().cases[0]!.input })).status).toBe(503);
      expect(runs).not.toHaveBeenCalled();
    });

    it('answers 503 when the manifest names the input otherwise than the graph does', async () => {
      const manifestPath = path.join(findVersion('churn', served('churn').version, dir).dir, 'model.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      manifest.onnx.inputs[0].name = 'customer';
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const { health, predict, runs } = freshContainer();
      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      expect(reply.json.code).toBe('model_unavailable');
      expect(reply.json.error).toContain('the ONNX graph has an input "features" that the manifest does not list');
      expect((await invoke(predict, { json: parityFixture().cases[0]!.input })).status).toBe(503);
      expect(runs).not.toHaveBeenCalled();
    });

    it('answers 503 when the manifest declares a different input width than the graph takes', async () => {
      const manifestPath = path.join(findVersion('churn', served('churn').version, dir).dir, 'model.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      manifest.features.push({ name: 'extra', type: 'numeric' });
      manifest.columns.push('extra');
      manifest.onnx.inputs[0].shape = [null, manifest.columns.length];
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const { health, predict, runs } = freshContainer();
      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      expect(reply.json.error).toBe(unavailable(dir, 'input "features" has shape [N, 45] in the ONNX graph; the manifest says [?, 46]'));
      expect((await invoke(predict, { json: { ...parityFixture().cases[0]!.input, extra: 1 } })).status).toBe(503);
      expect(runs).not.toHaveBeenCalled();
    });

    it('answers 503 when a golden case no longer gives its recorded answer, after running it', async () => {
      const manifestPath = path.join(findVersion('churn', served('churn').version, dir).dir, 'model.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      const recorded = manifest.golden.cases[0].answer;
      recorded.churn_probability = Math.min(1, recorded.churn_probability + 0.25);
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const { health, predict, sessionsCreated, runs } = freshContainer();
      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      expect(reply.json.code).toBe('model_unavailable');
      expect(reply.json.error).toContain('golden case 0 gives another answer than when the model was added (/churn_probability: recorded');
      // The graph was loaded and ran its first golden case, which failed.
      expect(sessionsCreated).toHaveBeenCalledTimes(1);
      expect(runs).toHaveBeenCalledTimes(1);
      expect((await invoke(predict, { json: parityFixture().cases[0]!.input })).status).toBe(503);
      expect(runs).toHaveBeenCalledTimes(1);
    });

    it('answers 503 with the reason when the manifest is invalid, before onnxruntime sees anything', async () => {
      const manifestPath = path.join(findVersion('churn', served('churn').version, dir).dir, 'model.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      manifest.golden.cases = [];
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const { health, predict, sessionsCreated } = freshContainer();
      const reply = await invoke(health, get);
      expect(reply.status).toBe(503);
      expect(reply.json.code).toBe('model_unavailable');
      expect(reply.json.error).toContain(unavailable(dir, 'model.json is invalid: /golden/cases '));
      expect((await invoke(predict, { json: parityFixture().cases[0]!.input })).status).toBe(503);
      expect(sessionsCreated).not.toHaveBeenCalled();
    });
  });
});
