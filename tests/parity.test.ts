import { loadModel, type Model } from '../lib/model';
import { latestModelDir } from '../lib/model-repository';
import { modelsDir, parityFixture } from './helpers/models';

const fixture = parityFixture();
let model: Model;

beforeAll(async () => {
  model = await loadModel(latestModelDir('churn', modelsDir));
});

describe('ONNX parity with scikit-learn', () => {
  it('has a fixture of at least 200 held-out customers for this model version', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(200);
    expect(fixture.version).toBe(model.info.version);
  });

  it('scores every fixture customer, as one batch, within 1e-5 of predict_proba', async () => {
    const { predictions } = await model.predict(fixture.cases.map((c) => c.input));
    const deltas = fixture.cases.map((c, i) => Math.abs(predictions[i]!.probability - c.churn_probability));
    expect(predictions).toHaveLength(fixture.cases.length);
    expect(Math.max(...deltas)).toBeLessThan(1e-5);
  });

  it('scores every fixture customer, one at a time, within 1e-5 and with the same decision', async () => {
    for (const c of fixture.cases) {
      const { predictions } = await model.predict([c.input]);
      const [p] = predictions;
      expect(Math.abs(p!.probability - c.churn_probability)).toBeLessThan(1e-5);
      // Away from the threshold the float32 graph and float64 sklearn must agree.
      if (Math.abs(c.churn_probability - 0.5) > 1e-5) expect(p!.positive).toBe(c.churn_probability >= 0.5);
    }
  });
});
