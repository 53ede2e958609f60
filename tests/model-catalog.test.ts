import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareVersions, listModels, resolveModel } from '../lib/model-catalog';

describe('compareVersions', () => {
  it('orders numeric parts as numbers', () => {
    expect(['1.10.0', '1.2.0', '1.9.3', '2.0.0', '1.2'].sort(compareVersions)).toEqual(['1.2', '1.2.0', '1.9.3', '1.10.0', '2.0.0']);
  });

  it('orders dated versions', () => {
    expect(['2026-11-23', '2026-02-01', '2025-12-31'].sort(compareVersions)).toEqual(['2025-12-31', '2026-02-01', '2026-11-23']);
  });
});

describe('the model catalog', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'catalog-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Version folders get a (placeholder) manifest; the catalog reads names only. */
  const folders = (...names: string[]) =>
    names.forEach((n) => {
      mkdirSync(path.join(root, n), { recursive: true });
      if (n.split('/').length === 2) writeFileSync(path.join(root, n, 'model.json'), '{}');
    });

  it('lists models by name with their versions, oldest first, ignoring folders that are neither', () => {
    folders('churn/1.0.0', 'churn/1.10.0', 'churn/1.9.0', 'churn/__pycache__', 'churn/.ipynb_checkpoints', 'intent/2026-01-01', '__pycache__/1.0.0', 'empty');
    mkdirSync(path.join(root, 'intent', 'data')); // training data beside the versions: no model.json
    expect(listModels(root)).toEqual([
      { name: 'churn', versions: ['1.0.0', '1.9.0', '1.10.0'] },
      { name: 'intent', versions: ['2026-01-01'] },
    ]);
  });

  it('resolves the newest version when none is named, and a named one', () => {
    folders('churn/1.0.0', 'churn/1.10.0', 'churn/1.9.0');
    expect(resolveModel('churn', undefined, root)).toEqual({
      name: 'churn',
      version: '1.10.0',
      dir: path.join(root, 'churn', '1.10.0'),
      versions: ['1.0.0', '1.9.0', '1.10.0'],
    });
    expect(resolveModel('churn', '1.9.0', root).dir).toBe(path.join(root, 'churn', '1.9.0'));
  });

  it('names the deployed models when a model is unknown, without any path', () => {
    folders('churn/1.0.0', 'intent/1.0.0');
    expect(() => resolveModel('fraud', undefined, root)).toThrow('no model named "fraud"; deployed models: churn, intent');
    expect(() => resolveModel('..', undefined, root)).toThrow('no model named ".."');
  });

  it('names the versions when a version is unknown', () => {
    folders('churn/1.0.0', 'churn/1.1.0');
    expect(() => resolveModel('churn', '9.9.9', root)).toThrow('model "churn" has no version "9.9.9"; versions: 1.0.0, 1.1.0');
    expect(() => resolveModel('churn', '../../etc', root)).toThrow('has no version "../../etc"');
  });
});
