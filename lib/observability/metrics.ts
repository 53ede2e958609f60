import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { settings } from '../settings';
import type { RequestFacts, ShadowFacts, Signal } from './request-facts';

/**
 * The one EMF publisher (namespace from POWERTOOLS_METRICS_NAMESPACE in
 * serverless.yml). Every metric the service writes is in METRIC_CATALOG,
 * which the README's table, the dashboard and the tests read.
 */
export const metrics = new Metrics({ serviceName: settings.serviceName() });

/** Which dimensions a metric is published with (README, "Metrics"). */
export type DimensionSet = 'request' | 'error' | 'service' | 'cold-start' | 'shadow' | 'monitor';

export const DIMENSIONS: Record<DimensionSet, readonly string[]> = {
  // model and version only once a request named a model the repository holds.
  request: ['service', 'route_family', 'model', 'version'],
  error: ['service', 'route_family', 'code'],
  service: ['service'],
  'cold-start': ['service', 'function_name'],
  // version is the shadow's: its disagreement with whichever version served.
  shadow: ['service', 'model', 'version'],
  // The monitor's per-version figures; the same metric with `service` alone is the run's worst, which the alarms read.
  monitor: ['service', 'model', 'version'],
};

export interface MetricEntry {
  /** A name, or a pattern ("Predicted.<label>") for one metric per label. */
  name: string;
  unit: 'Count' | 'Milliseconds' | 'Percent' | 'None';
  dimensions: DimensionSet;
  description: string;
}

export const METRIC_CATALOG: readonly MetricEntry[] = [
  { name: 'Requests', unit: 'Count', dimensions: 'request', description: 'requests answered by a function, any status' },
  { name: 'Latency', unit: 'Milliseconds', dimensions: 'request', description: 'the handler, from its first middleware to its answer' },
  { name: 'InferenceLatency', unit: 'Milliseconds', dimensions: 'request', description: "onnxruntime's run, for requests that reached the model" },
  { name: 'RecordsScored', unit: 'Count', dimensions: 'request', description: 'records (or tensor rows) in an answered batch' },
  { name: 'ClientErrors', unit: 'Count', dimensions: 'request', description: '1 for an answer with a 4xx status, else 0 (its average is the rate)' },
  { name: 'ServerErrors', unit: 'Count', dimensions: 'request', description: '1 for an answer with a 5xx status, else 0' },
  { name: 'MeanProbability', unit: 'None', dimensions: 'request', description: "binary classification: the batch's mean positive probability" },
  { name: 'PositiveRate', unit: 'Percent', dimensions: 'request', description: 'binary classification: share of the batch at or above the threshold' },
  { name: 'Predicted.<label>', unit: 'Count', dimensions: 'request', description: 'classifiers: records predicted as each label (first 50 labels)' },
  { name: 'PredictedOther', unit: 'Count', dimensions: 'request', description: 'classifiers: records predicted as a label beyond the first 50' },
  { name: 'MeanPrediction', unit: 'None', dimensions: 'request', description: "regressors: the batch's mean predicted value" },
  { name: 'Errors', unit: 'Count', dimensions: 'error', description: 'rejected or failed requests, by error code' },
  { name: 'ModelNotReady', unit: 'Count', dimensions: 'service', description: 'requests that met a model that could not load (a 503)' },
  { name: 'ColdStart', unit: 'Count', dimensions: 'cold-start', description: "a container's first request (Powertools)" },
  { name: 'ShadowLatency', unit: 'Milliseconds', dimensions: 'shadow', description: "the shadow version's scoring of a split-routed request, inside the request" },
  { name: 'ShadowMaxDelta', unit: 'None', dimensions: 'shadow', description: "largest difference between a number of the served answer and the shadow's" },
  { name: 'ShadowFlips', unit: 'Count', dimensions: 'shadow', description: "values of the answer the shadow gives otherwise (labels, decisions)" },
  { name: 'ShadowErrors', unit: 'Count', dimensions: 'shadow', description: '1 when the shadow refused or failed a request the served version answered' },
  { name: 'FeatureDrift', unit: 'None', dimensions: 'monitor', description: "monitor: the largest PSI of a version's input fields against its baseline (the field is named in the report); with `service` alone, the largest of the run" },
  { name: 'PredictionDrift', unit: 'None', dimensions: 'monitor', description: "monitor: PSI of a version's predictions against its baseline; with `service` alone, the largest of the run" },
  { name: 'LiveAccuracy', unit: 'None', dimensions: 'monitor', description: 'monitor: share of joined feedback the version predicted right; with `service` alone, the lowest of the run' },
  { name: 'LiveAUC', unit: 'None', dimensions: 'monitor', description: 'monitor: ROC AUC of the version on joined feedback (classifiers)' },
  { name: 'FeedbackCount', unit: 'Count', dimensions: 'monitor', description: 'monitor: feedback items joined to the version’s inferences in the window' },
  { name: 'ShadowSkipped', unit: 'Count', dimensions: 'shadow', description: '1 when the shadow was not ready or over SHADOW_BUDGET_MS' },
];

const SIGNAL_UNITS: Record<Signal['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]> = { Count: MetricUnit.Count, Percent: MetricUnit.Percent, None: MetricUnit.NoUnit };

/**
 * Adds the finished request's metrics to the buffer that Powertools'
 * logMetrics middleware flushes as one EMF line (plus one per error line).
 */
export function addRequestMetrics(facts: RequestFacts, status: number, durationMs: number): void {
  metrics.addDimension('route_family', facts.family);
  if (facts.model !== undefined && facts.version !== undefined) {
    metrics.addDimension('model', facts.model);
    metrics.addDimension('version', facts.version);
  }
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  metrics.addMetric('Latency', MetricUnit.Milliseconds, durationMs);
  metrics.addMetric('ClientErrors', MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
  metrics.addMetric('ServerErrors', MetricUnit.Count, status >= 500 ? 1 : 0);
  if (facts.inferenceMs) metrics.addMetric('InferenceLatency', MetricUnit.Milliseconds, facts.inferenceMs);
  if (status < 400 && facts.records !== undefined) {
    metrics.addMetric('RecordsScored', MetricUnit.Count, facts.records);
    for (const signal of facts.signals ?? []) metrics.addMetric(signal.metric, SIGNAL_UNITS[signal.unit], signal.value);
  }
  if (facts.code !== undefined) {
    const single = metrics.singleMetric();
    single.addDimension('route_family', facts.family);
    single.addDimension('code', facts.code);
    single.addMetric('Errors', MetricUnit.Count, 1);
  }
  if (status === 503) metrics.singleMetric().addMetric('ModelNotReady', MetricUnit.Count, 1);
  if (facts.shadow && facts.model !== undefined) addShadowMetrics(facts.model, facts.shadow);
}

/** The shadow's line: its own version as the dimension, flushed at once (a request has at most one). */
const shadowMetrics = new Metrics({ serviceName: settings.serviceName() });

function addShadowMetrics(model: string, shadow: ShadowFacts): void {
  shadowMetrics.addDimension('model', model);
  shadowMetrics.addDimension('version', shadow.version);
  shadowMetrics.addMetric('ShadowLatency', MetricUnit.Milliseconds, shadow.ms);
  shadowMetrics.addMetric('ShadowErrors', MetricUnit.Count, shadow.outcome === 'error' ? 1 : 0);
  shadowMetrics.addMetric('ShadowSkipped', MetricUnit.Count, shadow.outcome === 'skipped' ? 1 : 0);
  if (shadow.outcome === 'compared') {
    shadowMetrics.addMetric('ShadowMaxDelta', MetricUnit.NoUnit, shadow.maxDelta ?? 0);
    shadowMetrics.addMetric('ShadowFlips', MetricUnit.Count, shadow.flips ?? 0);
  }
  shadowMetrics.publishStoredMetrics();
}

/** One monitor run's figures (README, "Monitoring"): per model version, then the run's worst for the alarms. */
export interface MonitorFigures {
  model: string;
  version: string;
  featureDrift: number | null;
  predictionDrift: number | null;
  accuracy: number | null;
  auc: number | null;
  feedback: number;
}

export function publishMonitorMetrics(figures: readonly MonitorFigures[]): void {
  const each = new Metrics({ serviceName: settings.serviceName() });
  for (const f of figures) {
    each.addDimension('model', f.model);
    each.addDimension('version', f.version);
    if (f.featureDrift !== null) each.addMetric('FeatureDrift', MetricUnit.NoUnit, f.featureDrift);
    if (f.predictionDrift !== null) each.addMetric('PredictionDrift', MetricUnit.NoUnit, f.predictionDrift);
    if (f.accuracy !== null) each.addMetric('LiveAccuracy', MetricUnit.NoUnit, f.accuracy);
    if (f.auc !== null) each.addMetric('LiveAUC', MetricUnit.NoUnit, f.auc);
    each.addMetric('FeedbackCount', MetricUnit.Count, f.feedback);
    each.publishStoredMetrics();
  }
  const known = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
  const worst = new Metrics({ serviceName: settings.serviceName() });
  const drift = known(figures.map((f) => f.featureDrift));
  const prediction = known(figures.map((f) => f.predictionDrift));
  const accuracy = known(figures.map((f) => f.accuracy));
  if (drift.length > 0) worst.addMetric('FeatureDrift', MetricUnit.NoUnit, Math.max(...drift));
  if (prediction.length > 0) worst.addMetric('PredictionDrift', MetricUnit.NoUnit, Math.max(...prediction));
  if (accuracy.length > 0) worst.addMetric('LiveAccuracy', MetricUnit.NoUnit, Math.min(...accuracy));
  if (drift.length + prediction.length + accuracy.length > 0) worst.publishStoredMetrics();
}
