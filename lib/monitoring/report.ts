import type { DriftStatus } from './drift';

/**
 * A monitoring report (README, "Monitoring"): one per model version and
 * run, written as JSON and as an HTML page (./report-html.ts) beside it.
 * `npm run monitor -- --json` prints one; GET /models/{name}/monitoring
 * answers the latest run's summary of every version.
 */

/** One distribution over a profile's bins: the bins' labels and each side's shares (0-1). */
export interface Histogram {
  bins: string[];
  baseline: number[];
  current: number[];
}

export interface DistributionDrift {
  psi: number | null;
  status: DriftStatus;
  /** Kolmogorov–Smirnov (numbers) or chi-square (categories), on the binned counts. */
  test: { name: 'ks' | 'chi-square'; statistic: number; p_value: number; dof?: number } | null;
  /** Records of the window with a value, and without. */
  count: number;
  missing: number;
  histogram: Histogram;
}

export interface FeatureReport extends DistributionDrift {
  name: string;
  type: 'numeric' | 'categorical' | 'text';
  /** A text field: its two profiles; the field's psi is the larger. */
  parts?: { length: DistributionDrift; vocabulary_share: DistributionDrift & { mean: { baseline: number | null; current: number | null } } };
}

export interface QualityReport {
  /** Feedback items read in the window, those joined to an inference of the window (same key), and those not. */
  feedback: number;
  joined: number;
  unmatched: number;
  accuracy?: number | null;
  roc_auc?: number | null;
  /** Expected calibration error over ten bins of the score, with each bin's mean score and observed rate. */
  calibration?: { ece: number; bins: { range: string; count: number; mean_score: number; observed: number }[] } | null;
  mae?: number | null;
  rmse?: number | null;
}

export interface Report {
  model: string;
  version: string;
  generated: string;
  window: { from: string; to: string; hours: number };
  /** Where the captures were read. */
  source: string;
  baseline: { file: string; records: number; created: string; source: string } | null;
  /** Inference records of the window. */
  records: number;
  /** Every monitored input field, in the baseline's order. */
  features: FeatureReport[];
  /** The fields whose PSI is over the drift band (0.25). */
  drifting: string[];
  /** The field with the largest PSI. */
  max_feature: { name: string; psi: number } | null;
  prediction: (DistributionDrift & { labels?: DistributionDrift }) | null;
  quality: QualityReport;
  /** What to keep in mind reading it: a small window, no baseline, feedback that could not be joined. */
  notes: string[];
}

/** The latest run's account of a model: one line per version, for GET /models/{name}/monitoring. */
export interface ReportSummary {
  model: string;
  generated: string;
  window: Report['window'];
  versions: {
    version: string;
    records: number;
    max_feature: Report['max_feature'];
    drifting: string[];
    prediction_psi: number | null;
    quality: QualityReport;
    report: string;
    page: string;
  }[];
}

export function summaryOf(reports: readonly Report[], keys: ReadonlyMap<string, { report: string; page: string }>): ReportSummary {
  const first = reports[0]!;
  return {
    model: first.model,
    generated: first.generated,
    window: first.window,
    versions: reports.map((r) => ({
      version: r.version,
      records: r.records,
      max_feature: r.max_feature,
      drifting: r.drifting,
      prediction_psi: r.prediction?.psi ?? null,
      quality: r.quality,
      ...keys.get(r.version)!,
    })),
  };
}
