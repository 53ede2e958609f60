import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { columnNames, parseManifest } from '../lib/manifest';
import { listModels } from '../lib/model-catalog';
import { churnManifest, modelsDir } from './helpers/models';

const versionDirs = listModels(modelsDir).flatMap((m) => m.versions.map((v) => path.join(modelsDir, m.name, v)));

describe('committed model folders', () => {
  it('exist', () => {
    expect(versionDirs.length).toBeGreaterThan(0);
  });

  describe.each(versionDirs.map((dir) => [path.relative(modelsDir, dir), dir]))('%s', (_label, dir) => {
    const manifest = parseManifest(readFileSync(path.join(dir, 'model.json'), 'utf8'));

    it('has a manifest whose sha256 is that of the committed ONNX file', () => {
      const actual = createHash('sha256').update(readFileSync(path.join(dir, manifest.file))).digest('hex');
      expect(actual).toBe(manifest.sha256);
    });

    it('is filed under its own name and version', () => {
      expect(path.basename(dir)).toBe(manifest.version);
      expect(path.basename(path.dirname(dir))).toBe(manifest.name);
    });

    it('describes its input consistently with its task', () => {
      if (manifest.task === 'binary-classification') {
        expect(columnNames(manifest.features)).toEqual(manifest.columns);
        expect(manifest.onnx.input.shape).toEqual([null, manifest.columns.length]);
      } else {
        expect(manifest.onnx.input).toEqual({ name: expect.any(String), type: 'string', shape: [null] });
        expect(manifest.onnx.output.shape).toEqual([null, manifest.labels.length]);
      }
    });
  });
});

describe('parseManifest', () => {
  const good = readFileSync(path.join(modelsDir, 'churn', churnManifest().version, 'model.json'), 'utf8');
  const edit = (change: (m: Record<string, unknown>) => void): string => {
    const m = JSON.parse(good) as Record<string, unknown>;
    change(m);
    return JSON.stringify(m);
  };

  it('accepts the committed manifest', () => {
    expect(() => parseManifest(good)).not.toThrow();
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseManifest('{')).toThrow('model.json is not valid JSON');
  });

  it('rejects a manifest whose features do not expand to its columns', () => {
    const text = edit((m) => {
      (m.columns as string[]).reverse();
    });
    expect(() => parseManifest(text)).toThrow('features do not expand to the listed columns');
  });

  it('rejects a manifest whose input width disagrees with its columns', () => {
    const text = edit((m) => {
      (m.onnx as { input: { shape: unknown[] } }).input.shape = [null, 3];
    });
    expect(() => parseManifest(text)).toThrow(/input shape \[null, 3\] does not match \d+ columns/);
  });

  it('rejects a model file name that leaves the folder', () => {
    const text = edit((m) => {
      m.file = '../other/model.onnx';
    });
    expect(() => parseManifest(text)).toThrow('model.json is invalid: /file');
  });

  it('rejects a categorical feature without values', () => {
    const text = edit((m) => {
      const features = m.features as Record<string, unknown>[];
      const categorical = features.find((f) => f.type === 'categorical');
      if (categorical) delete categorical.values;
    });
    expect(() => parseManifest(text)).toThrow('model.json is invalid');
  });
});
