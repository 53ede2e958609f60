import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelNotFound, ModelUnavailable } from '../lib/errors';
import { findManifest, findVersion, forgetRepository, listModels } from '../lib/repository/model-repository';
import { compareVersions } from '../lib/repository/versions';
import { versionDir } from './helpers/models';
import { changeSettings } from './helpers/settings';

describe('compareVersions', () => {
  it('orders numeric parts as numbers', () => {
    expect(['1.10.0', '1.2.0', '1.9.3', '2.0.0', '1.2'].sort(compareVersions)).toEqual(['1.2', '1.2.0', '1.9.3', '1.10.0', '2.0.0']);
  });

  it('orders dated versions', () => {
    expect(['2026-11-23', '2026-02-01', '2025-12-31'].sort(compareVersions)).toEqual(['2025-12-31', '2026-02-01', '2026-11-23']);
  });
});

describe('the model repository', () => {
  let root: string;
  const churnJson = readFileSync(path.join(versionDir('churn'), 'model.json'), 'utf8');

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'repository-'));
  });
  afterEach(() => {
    changeSettings({ MODELS_DIR: undefined });
    rmSync(root, { recursive: true, force: true });
  });

  /** Version folders get a placeholder manifest (invalid, which listing must survive). */
  const folders = (...names: string[]) =>
    names.forEach((n) => {
      mkdirSync(path.join(root, n), { recursive: true });
      if (n.split('/').length === 2) writeFileSync(path.join(root, n, 'model.json'), '{}');
    });

  /** A valid manifest (the churn one) filed as name/version, saying it is `says`. */
  const validFolder = (name: string, version: string, says: { name: string; version: string } = { name, version }) => {
    mkdirSync(path.join(root, name, version), { recursive: true });
    writeFileSync(path.join(root, name, version, 'model.json'), JSON.stringify({ ...JSON.parse(churnJson), ...says }));
  };

  const versionsOf = (r: string) => listModels(r).map((m) => ({ name: m.name, versions: m.versions.map((v) => v.version) }));

  it('lists models by name with their versions, oldest first, ignoring folders that are neither', () => {
    folders('churn/1.0.0', 'churn/1.10.0', 'churn/1.9.0', 'churn/__pycache__', 'churn/.ipynb_checkpoints', 'intent/2026-01-01', '__pycache__/1.0.0', 'empty');
    mkdirSync(path.join(root, 'intent', 'data')); // training data beside the versions: no model.json
    expect(versionsOf(root)).toEqual([
      { name: 'churn', versions: ['1.0.0', '1.9.0', '1.10.0'] },
      { name: 'intent', versions: ['2026-01-01'] },
    ]);
  });

  it('records a valid manifest, and the reason for an invalid one, without throwing', () => {
    validFolder('churn', '1.0.0');
    folders('churn/1.1.0');
    mkdirSync(path.join(root, 'churn', '1.2.0'));
    writeFileSync(path.join(root, 'churn', '1.2.0', 'model.json'), '{');
    const [churn] = listModels(root);
    expect(churn!.versions.map((v) => ({ version: v.version, kind: v.manifest?.kind ?? null, problem: v.problem }))).toEqual([
      { version: '1.0.0', kind: 'binary-classification', problem: null },
      { version: '1.1.0', kind: null, problem: expect.stringMatching(/^model\.json is invalid: \/kind must be one of /) },
      { version: '1.2.0', kind: null, problem: 'model.json is not valid JSON' },
    ]);
  });

  it('refuses a manifest whose name or version disagree with its folder', () => {
    validFolder('retention', '2.0.0', { name: 'churn', version: '2.0.0' });
    validFolder('retention', '3.0.0', { name: 'retention', version: '1.0.0' });
    const [retention] = listModels(root);
    expect(retention!.versions.map((v) => [v.manifest, v.problem])).toEqual([
      [null, 'model.json describes churn 2.0.0 but lies in the folder retention/2.0.0'],
      [null, 'model.json describes retention 1.0.0 but lies in the folder retention/3.0.0'],
    ]);
  });

  it('reads a folder once, until told to forget it', () => {
    folders('churn/1.0.0');
    expect(versionsOf(root)).toEqual([{ name: 'churn', versions: ['1.0.0'] }]);
    folders('churn/1.1.0');
    expect(versionsOf(root)).toEqual([{ name: 'churn', versions: ['1.0.0'] }]);
    forgetRepository();
    expect(versionsOf(root)).toEqual([{ name: 'churn', versions: ['1.0.0', '1.1.0'] }]);
  });

  it('finds the newest version when none is named, and a named one', () => {
    folders('churn/1.0.0', 'churn/1.10.0', 'churn/1.9.0');
    expect(findVersion('churn', undefined, root)).toEqual({
      name: 'churn',
      version: '1.10.0',
      dir: path.join(root, 'churn', '1.10.0'),
      manifest: null,
      problem: expect.any(String),
      versions: ['1.0.0', '1.9.0', '1.10.0'],
      // Without WATCH_MODELS the registry keeps a loaded version under its folder alone.
      key: path.join(root, 'churn', '1.10.0'),
      // A models folder's version: its files are there, nothing to download.
      store: null,
    });
    expect(findVersion('churn', '1.9.0', root).dir).toBe(path.join(root, 'churn', '1.9.0'));
  });

  it('names the deployed models when a model is unknown, without any path', () => {
    folders('churn/1.0.0', 'intent/1.0.0');
    expect(() => findVersion('fraud', undefined, root)).toThrow(new ModelNotFound('no model named "fraud"; deployed models: churn, intent'));
    expect(() => findVersion('..', undefined, root)).toThrow('no model named ".."');
  });

  it('names the versions when a version is unknown', () => {
    folders('churn/1.0.0', 'churn/1.1.0');
    expect(() => findVersion('churn', '9.9.9', root)).toThrow('model "churn" has no version "9.9.9"; versions: 1.0.0, 1.1.0');
    expect(() => findVersion('churn', '../../etc', root)).toThrow('has no version "../../etc"');
  });

  it('gives the manifest of a valid version, and 503 with the reason for an invalid one', () => {
    validFolder('churn', '1.0.0');
    folders('churn/1.1.0');
    changeSettings({ MODELS_DIR: root });
    expect(findManifest('churn', '1.0.0').manifest.name).toBe('churn');
    expect(() => findManifest('churn')).toThrow(ModelUnavailable);
    expect(() => findManifest('churn')).toThrow(/^model unavailable: model\.json is invalid: \/kind must be one of /);
  });
});
