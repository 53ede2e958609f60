import path from 'node:path';
import { checkModelFolder, PARITY_TOLERANCE } from '../lib/model-check';
import { loadModel } from '../lib/model';
import { listModels, resolveModel } from '../lib/model-catalog';
import { modelsDir, parityFixture } from './helpers/models';

const folders = listModels(modelsDir).flatMap((m) => m.versions.map((v) => path.join(modelsDir, m.name, v)));

describe('ONNX parity with the training library, every model folder (npm run model:check)', () => {
  it.each(folders.map((dir) => [path.relative(modelsDir, dir), dir]))('%s', async (_label, dir) => {
    const report = await checkModelFolder(dir);
    expect(report.problems).toEqual([]);
    expect(report.cases).toBeGreaterThan(0);
    expect(report.worstDelta).toBeLessThan(PARITY_TOLERANCE);
  });
});

describe('churn parity through the predict path', () => {
  const fixture = parityFixture('churn');

  it('has at least 200 held-out customers', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(200);
  });

  it('scores every fixture customer, one at a time, within 1e-5 and with the same decision', async () => {
    const model = await loadModel(resolveModel('churn', undefined, modelsDir).dir);
    for (const c of fixture.cases) {
      const { answers } = await model.predict([c.input]);
      const p = answers[0]!.churn_probability as number;
      expect(Math.abs(p - c.churn_probability)).toBeLessThan(1e-5);
      // Away from the threshold the float32 graph and float64 sklearn must agree.
      if (Math.abs(c.churn_probability - 0.5) > 1e-5) expect(answers[0]!.churn).toBe(c.churn_probability >= 0.5);
    }
  });
});
