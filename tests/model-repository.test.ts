import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareVersions, latestModelDir } from '../lib/model-repository';

describe('compareVersions', () => {
  it('orders numeric parts as numbers', () => {
    expect(['1.10.0', '1.2.0', '1.9.3', '2.0.0', '1.2'].sort(compareVersions)).toEqual(['1.2', '1.2.0', '1.9.3', '1.10.0', '2.0.0']);
  });

  it('orders dated versions', () => {
    expect(['2026-11-23', '2026-02-01', '2025-12-31'].sort(compareVersions)).toEqual(['2025-12-31', '2026-02-01', '2026-11-23']);
  });
});

describe('latestModelDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'repo-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('picks the newest version folder and ignores folders that are not versions', () => {
    for (const name of ['1.0.0', '1.10.0', '1.9.0', '__pycache__', '.ipynb_checkpoints']) {
      mkdirSync(path.join(root, 'churn', name), { recursive: true });
    }
    expect(latestModelDir('churn', root)).toBe(path.join(root, 'churn', '1.10.0'));
  });

  it('says which model is missing, without the path', () => {
    expect(() => latestModelDir('fraud', root)).toThrow('no model named "fraud" is deployed');
  });

  it('says when a model has no version', () => {
    mkdirSync(path.join(root, 'churn', '__pycache__'), { recursive: true });
    expect(() => latestModelDir('churn', root)).toThrow('model "churn" has no version folder');
  });
});
