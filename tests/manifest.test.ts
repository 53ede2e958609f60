import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kindOf } from '../lib/kinds';
import { columnNames } from '../lib/kinds/binary-classification/manifest';
import { parseManifest } from '../lib/repository/parse-manifest';
import { listModels } from '../lib/repository/model-repository';
import { churnManifest, modelsDir, trainedVersions } from './helpers/models';

const versionDirs = listModels(modelsDir).flatMap((m) => m.versions.map((v) => v.dir));
const trained = new Set(trainedVersions().map((v) => v.dir));
const dynamicDimension = { asymmetricMatch: (d: unknown) => d === null || typeof d === 'string', toAsymmetricMatcher: () => 'a dynamic dimension' };

describe('committed model folders', () => {
  it('exist', () => {
    expect(versionDirs.length).toBeGreaterThan(0);
  });

  describe.each(versionDirs.map((dir) => [path.relative(modelsDir, dir), dir] as const))('%s', (_label, dir) => {
    const manifest = parseManifest(readFileSync(path.join(dir, 'model.json'), 'utf8'));

    it('has a manifest whose sha256 is that of the committed ONNX file', () => {
      const actual = createHash('sha256').update(readFileSync(path.join(dir, manifest.file))).digest('hex');
      expect(actual).toBe(manifest.sha256);
    });

    it('is filed under its own name and version', () => {
      expect(path.basename(dir)).toBe(manifest.version);
      expect(path.basename(path.dirname(dir))).toBe(manifest.name);
    });

    it('describes its inputs and outputs consistently with its kind', () => {
      expect(kindOf(manifest).check(manifest)).toBeNull();
      // train.py writes the batch dimension as null; model:add keeps the graph's own (a name, or null when unnamed).
      const batch = trained.has(dir) ? null : dynamicDimension;
      if (manifest.kind === 'binary-classification') {
        expect(columnNames(manifest.features)).toEqual(manifest.columns);
        expect(manifest.onnx.inputs).toEqual([{ name: expect.any(String), datatype: 'FP32', shape: [batch, manifest.columns.length] }]);
      } else if (manifest.kind === 'text-classification') {
        expect(manifest.onnx.inputs).toEqual([{ name: expect.any(String), datatype: 'BYTES', shape: [batch] }]);
        expect(manifest.onnx.outputs).toEqual([{ name: expect.any(String), datatype: 'FP32', shape: [batch, manifest.labels.length] }]);
      }
    });

    it('records at least one golden case', () => {
      expect(manifest.golden.cases.length).toBeGreaterThan(0);
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

  it('rejects a preprocessing step the service does not apply, or a fill for a field that is not numeric', () => {
    const pre = (m: Record<string, unknown>) => m.preprocessing as Record<string, unknown>;
    expect(() => parseManifest(edit((m) => (pre(m).strip_accents = true)))).toThrow('model.json is invalid: /preprocessing must NOT have additional properties');
    expect(() => parseManifest(edit((m) => (pre(m).text_values = { lowercase: true, replace: [[' ']] })))).toThrow('model.json is invalid: /preprocessing/text_values/replace/0');
    expect(() => parseManifest(edit((m) => (pre(m).missing_numbers = { contract: 0 })))).toThrow('preprocessing.missing_numbers names "contract", which is not a numeric feature');
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
      (m.onnx as { inputs: { shape: unknown[] }[] }).inputs[0]!.shape = [null, 3];
    });
    expect(() => parseManifest(text)).toThrow(/input must be FP32 \[N, \d+\] for \d+ columns; it is FP32 \[\?, 3\]/);
  });

  it('rejects a manifest in the old format (task, onnx.input), naming the kinds', () => {
    const text = edit((m) => {
      m.task = m.kind;
      delete m.kind;
    });
    expect(() => parseManifest(text)).toThrow(/^model\.json is invalid: \/kind must be one of .*binary-classification/);
  });

  it('rejects a manifest without golden cases', () => {
    expect(() => parseManifest(edit((m) => delete m.golden))).toThrow("model.json is invalid: / must have required property 'golden'");
    expect(() => parseManifest(edit((m) => ((m.golden as { cases: unknown[] }).cases = [])))).toThrow('model.json is invalid: /golden/cases');
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
