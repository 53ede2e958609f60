import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../lib/logger';
import { baselineFromModels } from '../lib/dataplane/baselines';
import { syncRepository } from '../lib/dataplane/repository-sync';
import { runMonitor, writeReports } from '../lib/monitoring/monitor';
import { reportHtml } from '../lib/monitoring/report-html';
import { bucketStore } from '../lib/monitoring/store';
import { publishMonitorMetrics } from '../lib/observability/metrics';
import { settings } from '../lib/settings';

/**
 * The scheduled monitor (README, "Monitoring"; EventBridge, the
 * `monitorSchedule` param): the last MONITOR_WINDOW_HOURS of captures and
 * feedback in the stage's bucket against each version's baseline in the
 * package's models, the reports written under reports/, and the figures
 * published as metrics the alarms and the dashboard read. The same code as
 * `npm run monitor`.
 */
export async function handler(_event?: ScheduledEvent): Promise<{ reports: number; records: number }> {
  const bucket = settings.monitoringBucket();
  if (bucket === undefined) throw new Error('MONITORING_BUCKET is not set: the monitor has no captures to read');
  const store = bucketStore(bucket);
  // The baselines are the served versions': with a model store, as listed now.
  await syncRepository();
  const run = await runMonitor({ store, hours: settings.monitorWindowHours(), baselineOf: baselineFromModels });
  await writeReports(store, run.reports, reportHtml);
  publishMonitorMetrics(
    run.reports.map((r) => ({
      model: r.model,
      version: r.version,
      featureDrift: r.max_feature?.psi ?? null,
      predictionDrift: r.prediction?.psi ?? null,
      accuracy: r.quality.accuracy ?? null,
      auc: r.quality.roc_auc ?? null,
      feedback: r.quality.joined,
    })),
  );
  logger.info('monitor run', {
    ...run.stats,
    reports: run.reports.map((r) => ({ model: r.model, version: r.version, records: r.records, drifting: r.drifting, max_feature: r.max_feature, prediction_psi: r.prediction?.psi ?? null, joined: r.quality.joined })),
  });
  return { reports: run.reports.length, records: run.stats.inferenceLines };
}
