import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest } from '../lib/kinds';
import { loadModel, type Model } from '../lib/model';
import { findVersion, type VersionEntry } from '../lib/repository/model-repository';
import { modelsDir, parityFixture, trainedVersions } from './helpers/models';

/** Worst difference allowed between ONNX (through our encoding) and the training library's own output. */
const PARITY_TOLERANCE = 1e-5;
/** Requests as the API would take them; also shows batching changes nothing. */
const CHUNK = 500;


interface ParityFile {
  model: string;
  version: string;
  cases: Record<string, unknown>[];
}

/** One case: the record the API takes, and what the library gave (probabilities in column order, label if any). */
interface Expectation {
  record: Record<string, unknown>;
  expected: number[];
  label?: unknown;
}

function expectation(manifest: Manifest, c: Record<string, unknown>): Expectation {
  switch (manifest.kind) {
    case 'binary-classification':
      return { record: c.input as Record<string, unknown>, expected: [c[manifest.output.probability] as number] };
    case 'text-classification':
      return { record: { [manifest.text.field]: c.text }, expected: c.probabilities as number[], label: c[manifest.output.label] };
    default:
      throw new Error(`no parity reading for kind ${manifest.kind}`);
  }
}

/** The probabilities of one answer, in the order the library listed them, and its label. */
function observed(manifest: Manifest, answer: Record<string, unknown>): { values: number[]; label: unknown } {
  switch (manifest.kind) {
    case 'binary-classification':
      return { values: [answer[manifest.output.probability] as number], label: answer[manifest.output.label] };
    case 'text-classification': {
      const probabilities = answer[manifest.output.probabilities] as Record<string, number>;
      return { values: manifest.labels.map((l) => probabilities[l]!), label: answer[manifest.output.label] };
    }
    default:
      throw new Error(`no parity reading for kind ${manifest.kind}`);
  }
}

/**
 * The versions this repository trained itself (models/<name>/train.py), each
 * of which writes parity.json: scikit-learn's predict_proba on held-out
 * inputs. Versions added with model:add carry golden cases instead.
 */
const trained = trainedVersions() as (VersionEntry & { manifest: Manifest })[];

describe('ONNX parity with the training library, every trained model folder', () => {
  it('has trained model folders', () => {
    expect(trained.length).toBeGreaterThan(0);
  });

  it.each(trained.map((v) => [`${v.name}/${v.version}`, v] as const))('%s', async (_label, entry) => {
    const { manifest } = entry;
    const parityPath = path.join(entry.dir, 'parity.json');
    expect(existsSync(parityPath)).toBe(true);
    const fixture = JSON.parse(readFileSync(parityPath, 'utf8')) as ParityFile;
    expect({ model: fixture.model, version: fixture.version }).toEqual({ model: manifest.name, version: manifest.version });
    expect(fixture.cases.length).toBeGreaterThan(0);

    const model = await loadModel(entry.dir, manifest);
    try {
      const expectations = fixture.cases.map((c) => expectation(manifest, c));
      let worst = 0;
      let compared = 0;
      for (let start = 0; start < expectations.length; start += CHUNK) {
        const chunk = expectations.slice(start, start + CHUNK);
        const { body, warnings } = await model.predict({ json: { instances: chunk.map((e) => e.record) } });
        // An input the encoding did not recognise (unknown category, ignored field) would mean it differs from training's.
        expect(warnings).toEqual([]);
        const answers = body.predictions as Record<string, unknown>[];
        expect(answers).toHaveLength(chunk.length);
        chunk.forEach((e, i) => {
          const { values, label } = observed(manifest, answers[i]!);
          expect(values).toHaveLength(e.expected.length);
          values.forEach((v, j) => {
            worst = Math.max(worst, Math.abs(v - e.expected[j]!));
            compared++;
          });
          if (e.label !== undefined) expect({ case: start + i, label }).toEqual({ case: start + i, label: e.label });
        });
      }
      expect(compared).toBeGreaterThanOrEqual(fixture.cases.length);
      expect(worst).toBeLessThan(PARITY_TOLERANCE);
    } finally {
      await model.release();
    }
  });
});

describe('churn parity through the predict path', () => {
  const fixture = parityFixture('churn');
  let model: Model;

  beforeAll(async () => {
    const entry = findVersion('churn', fixture.version, modelsDir);
    model = await loadModel(entry.dir, entry.manifest!);
  });
  afterAll(() => model.release());

  it('has at least 200 held-out customers', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(200);
  });

  it('scores every fixture customer, one at a time, within 1e-5 and with the same decision', async () => {
    for (const c of fixture.cases) {
      const { body } = await model.predict({ json: c.input });
      const p = body.churn_probability as number;
      expect(Math.abs(p - c.churn_probability)).toBeLessThan(1e-5);
      // Away from the threshold the float32 graph and float64 sklearn must agree.
      if (Math.abs(c.churn_probability - 0.5) > 1e-5) expect(body.churn).toBe(c.churn_probability >= 0.5);
    }
  });
});
