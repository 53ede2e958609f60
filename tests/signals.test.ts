import { binarySignals, labelCountSignals, labelMetric, MAX_LABEL_METRICS, meanSignal } from '../lib/kinds/records/signals';

describe('drift signals', () => {
  it('count each predicted label, and labels beyond the cap together, so one EMF line always suffices', () => {
    const labels = Array.from({ length: 120 }, (_, i) => `class ${i}/x`);
    const predicted = Array.from({ length: 1000 }, (_, i) => (i * 7) % labels.length);
    const signals = labelCountSignals(labels, predicted);
    // Request metrics take 6 names of the 100 EMF allows in one line.
    expect(signals.length).toBeLessThanOrEqual(MAX_LABEL_METRICS + 1);
    expect(signals.reduce((a, s) => a + s.value, 0)).toBe(predicted.length);
    const beyond = predicted.filter((p) => p >= MAX_LABEL_METRICS).length;
    expect(signals.find((s) => s.metric === 'PredictedOther')?.value).toBe(beyond);
    expect(signals.find((s) => s.metric === labelMetric(labels[3]!))?.value).toBe(predicted.filter((p) => p === 3).length);
    for (const s of signals) expect(s.metric).toMatch(/^(Predicted\.[A-Za-z0-9_.-]+|PredictedOther)$/);
  });

  it('give the mean probability and the positive rate at the threshold', () => {
    const [mean, rate] = binarySignals(Float32Array.from([0.1, 0.5, 0.9, 0.2]), 0.5);
    expect(mean).toEqual({ metric: 'MeanProbability', unit: 'None', value: expect.closeTo(0.425, 6) });
    expect(rate).toEqual({ metric: 'PositiveRate', unit: 'Percent', value: 50 });
  });

  it("give a regressor's mean value", () => {
    expect(meanSignal([1, 2, 6])).toEqual([{ metric: 'MeanPrediction', unit: 'None', value: 3 }]);
  });
});
