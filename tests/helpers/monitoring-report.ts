import type { DistributionDrift, FeatureReport, Histogram, Report } from '../../lib/monitoring/report';

/**
 * A monitoring report as the monitor would write it for the churn model
 * after a day of traffic, made by hand for the page's tests
 * (tests/report-html.test.ts, tests/package/report-browser.test.ts): two
 * numeric features that moved (tenure drifts, monthlycharges moderately),
 * one categorical that did not (contract), a text field whose vocabulary
 * share drifts while its length does not, the prediction scores and labels,
 * and quality from joined feedback with ROC AUC and calibration. Bin
 * labels are worded as lib/monitoring/window.ts words them.
 */

/** A name as a hostile manifest could give it: markup, an entity, both quotes. */
export const HOSTILE = `<img src=x onerror="alert(1)">Tom & Jerry's "plan"</td><script>alert(2)</script>`;

/** Shares (0-1) from counts, as a report holds them. */
const shares = (counts: readonly number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
};

const histogram = (bins: string[], baseline: number[], current: number[]): Histogram => ({ bins, baseline: shares(baseline), current: shares(current) });

const tenureBins = ['≤ 2', '2 – 6', '6 – 12', '12 – 20', '20 – 29', '29 – 40', '40 – 50', '50 – 60', '60 – 69', '69 – 72', '> 72', 'missing'];
const chargeBins = ['≤ 20', '20 – 25.1', '25.1 – 45.2', '45.2 – 58.9', '58.9 – 70.4', '70.4 – 79.1', '79.1 – 85.7', '85.7 – 94.3', '94.3 – 102.6', '102.6 – 118.8', '> 118.8', 'missing'];

const tenure: FeatureReport = {
  name: 'tenure',
  type: 'numeric',
  psi: 0.4127,
  status: 'drift',
  test: { name: 'ks', statistic: 0.2214, p_value: 3.1e-12 },
  count: 1184,
  missing: 0,
  histogram: histogram(tenureBins, [70, 71, 69, 72, 68, 70, 71, 69, 70, 70, 0, 0], [260, 180, 130, 110, 90, 80, 70, 60, 60, 44, 0, 0]),
};

const monthlyCharges: FeatureReport = {
  name: 'monthlycharges',
  type: 'numeric',
  psi: 0.1638,
  status: 'moderate',
  test: { name: 'ks', statistic: 0.0921, p_value: 0.0114 },
  count: 1180,
  missing: 4,
  histogram: histogram(chargeBins, [70, 70, 70, 70, 70, 70, 70, 70, 70, 70, 0, 0], [88, 64, 60, 62, 70, 82, 108, 150, 190, 300, 6, 4]),
};

const contract: FeatureReport = {
  name: 'contract',
  type: 'categorical',
  psi: 0.0213,
  status: 'stable',
  test: { name: 'chi-square', statistic: 3.402, p_value: 0.3337, dof: 3 },
  count: 1184,
  missing: 0,
  histogram: histogram(['Month-to-month', 'One year', 'Two year', 'other', 'missing'], [3875, 1473, 1695, 0, 0], [690, 230, 264, 0, 0]),
};

const lengthPart: DistributionDrift = {
  psi: 0.0412,
  status: 'stable',
  test: { name: 'ks', statistic: 0.0381, p_value: 0.4521 },
  count: 1102,
  missing: 82,
  histogram: histogram(['≤ 18', '18 – 31', '31 – 44', '44 – 58', '58 – 75', '75 – 96', '96 – 130', '130 – 190', '190 – 320', '320 – 1000', '> 1000', 'missing'], [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 1], [11, 10, 9, 10, 11, 10, 9, 11, 10, 9, 0, 1]),
};

const vocabularyPart: DistributionDrift & { mean: { baseline: number | null; current: number | null } } = {
  psi: 0.3606,
  status: 'drift',
  test: { name: 'ks', statistic: 0.2467, p_value: 2.4e-15 },
  count: 1098,
  missing: 86,
  histogram: histogram(['≤ 0.62', '0.62 – 0.75', '0.75 – 0.83', '0.83 – 0.88', '0.88 – 0.92', '0.92 – 0.95', '0.95 – 0.97', '0.97 – 0.99', '0.99 – 1', '> 1', 'missing'], [10, 10, 10, 10, 10, 10, 10, 10, 10, 0, 1], [31, 17, 12, 9, 8, 7, 6, 5, 5, 0, 1]),
  mean: { baseline: 0.873, current: 0.741 },
};

const lastTicket: FeatureReport = {
  name: 'last_ticket',
  type: 'text',
  // The field's figures are its larger part's.
  psi: vocabularyPart.psi,
  status: vocabularyPart.status,
  test: vocabularyPart.test,
  count: vocabularyPart.count,
  missing: vocabularyPart.missing,
  histogram: vocabularyPart.histogram,
  parts: { length: lengthPart, vocabulary_share: vocabularyPart },
};

const scoreBins = ['≤ 0.1', '0.1 – 0.2', '0.2 – 0.3', '0.3 – 0.4', '0.4 – 0.5', '0.5 – 0.6', '0.6 – 0.7', '0.7 – 0.8', '0.8 – 0.9', '> 0.9', 'missing'];

export function monitoringReport(): Report {
  const features = [tenure, monthlyCharges, contract, lastTicket].map((f) => structuredClone(f));
  return {
    model: 'churn',
    version: '1.0.0',
    generated: '2025-03-12T06:15:02.114Z',
    window: { from: '2025-03-11T06:00:00.000Z', to: '2025-03-12T06:00:00.000Z', hours: 24 },
    source: 's3://ml-inference-dev-monitoring/captures/model=churn/version=1.0.0/',
    baseline: { file: 'models/churn/1.0.0/baseline.json', records: 7043, created: '2025-02-20T10:41:55.000Z', source: 'telco-churn.csv (training split)' },
    records: 1184,
    features,
    drifting: ['tenure', 'last_ticket'],
    max_feature: { name: 'tenure', psi: 0.4127 },
    prediction: {
      psi: 0.2891,
      status: 'drift',
      test: { name: 'ks', statistic: 0.1903, p_value: 1.2e-9 },
      count: 1184,
      missing: 0,
      histogram: histogram(scoreBins, [2300, 1100, 800, 620, 540, 480, 410, 350, 270, 173, 0], [210, 120, 100, 90, 95, 105, 115, 120, 125, 104, 0]),
      labels: {
        psi: 0.1874,
        status: 'moderate',
        test: { name: 'chi-square', statistic: 48.21, p_value: 3.8e-12, dof: 1 },
        count: 1184,
        missing: 0,
        histogram: histogram(['false', 'true', 'other', 'missing'], [5360, 1683, 0, 0], [720, 464, 0, 0]),
      },
    },
    quality: {
      feedback: 412,
      joined: 389,
      unmatched: 23,
      accuracy: 0.7763,
      roc_auc: 0.8214,
      calibration: {
        ece: 0.0612,
        bins: [
          { range: '0.0-0.1', count: 71, mean_score: 0.052, observed: 0.042 },
          { range: '0.1-0.2', count: 44, mean_score: 0.148, observed: 0.136 },
          { range: '0.2-0.3', count: 36, mean_score: 0.251, observed: 0.222 },
          { range: '0.3-0.4', count: 31, mean_score: 0.349, observed: 0.419 },
          { range: '0.4-0.5', count: 33, mean_score: 0.452, observed: 0.545 },
          { range: '0.5-0.6', count: 34, mean_score: 0.548, observed: 0.647 },
          { range: '0.6-0.7', count: 37, mean_score: 0.651, observed: 0.730 },
          { range: '0.7-0.8', count: 38, mean_score: 0.748, observed: 0.842 },
          { range: '0.8-0.9', count: 36, mean_score: 0.853, observed: 0.889 },
          { range: '0.9-1.0', count: 29, mean_score: 0.934, observed: 0.931 },
        ],
      },
    },
    notes: [
      '23 feedback items matched no inference of the window (their inferences may be older than 24 h).',
      'last_ticket: 86 of 1184 records had no text.',
    ],
  };
}
