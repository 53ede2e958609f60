import { describe } from '../../dataplane/describe';
import { ValidationFailed } from '../../errors';
import type { Answer } from '../../http/dispatch';
import { jsonResponse } from '../../http/response';
import { kindOf } from '../../kinds';
import { writeCaptureLines } from '../../capture/capture-writer';
import type { FeedbackLine } from '../../capture/capture-line';
import { feedbackItems } from '../../monitoring/feedback';
import type { ReportSummary } from '../../monitoring/report';
import { bucketStore, folderStore, type Store } from '../../monitoring/store';
import { settings } from '../../settings';

/** Who sent a feedback request, as the gateway says: the key's id (never the key) and the request's id. */
export interface Caller {
  apiKeyId?: string;
  requestId?: string;
}

/**
 * POST /models/{name}/feedback: every item checked against the outcome of
 * the version the model serves (its kind's), then recorded as a feedback
 * line with the caller's key id, so that the monitor joins it only to that
 * key's inferences. 404 for an unknown model; 400 for a model whose answers
 * are no outcome (embeddings, tensors) and for a bad item.
 */
export function sendFeedback(name: string, body: unknown, caller: Caller): Answer {
  const { manifest, facts } = describe(name);
  const { outcome } = kindOf(manifest).monitoring(manifest);
  const items = feedbackItems(body, outcome, settings.maxBatch(), () => {
    throw new ValidationFailed(`model "${manifest.name}" (${manifest.kind}) answers no prediction that feedback could state`, [{ path: '', problem: 'the model takes no feedback' }]);
  });
  const time = new Date().toISOString();
  const lines: FeedbackLine[] = items.map((item) => ({
    capture: 'feedback',
    inference_id: item.inference_id,
    ...(caller.requestId ? { request_id: caller.requestId } : {}),
    time,
    model: manifest.name,
    ...(caller.apiKeyId ? { api_key_id: caller.apiKeyId } : {}),
    actual: item.actual,
  }));
  writeCaptureLines(lines);
  return { response: jsonResponse(200, { model: manifest.name, accepted: lines.length }), facts: { ...facts, records: lines.length } };
}

/** Where the reports are: the stage's bucket, else CAPTURE_DIR (npm start), else nowhere. */
function reportStore(): Store | undefined {
  const bucket = settings.monitoringBucket();
  if (bucket !== undefined) return bucketStore(bucket);
  const dir = settings.captureDir();
  return dir === undefined ? undefined : folderStore(dir);
}

/**
 * GET /models/{name}/monitoring: the latest monitor run's summary of the
 * model (reports/model=<name>/latest.json), or `latest: null` with the
 * reason when the monitor has not reported on it yet.
 */
export async function monitoringSummary(name: string): Promise<Answer> {
  const { manifest, facts } = describe(name);
  const store = reportStore();
  const key = `reports/model=${manifest.name}/latest.json`;
  const text = store ? await store.read(key) : undefined;
  let latest: ReportSummary | null = null;
  let reason = store === undefined ? 'no monitoring store is configured (MONITORING_BUCKET, or CAPTURE_DIR locally)' : 'the monitor has not reported on this model yet';
  if (text !== undefined) {
    try {
      latest = JSON.parse(text) as ReportSummary;
    } catch {
      // A damaged summary is this model's monitoring problem, said as such, never a 500.
      reason = `${key} is not valid JSON: the next monitor run writes it anew`;
    }
  }
  return { response: jsonResponse(200, { model: manifest.name, latest, ...(latest ? {} : { reason }) }), facts };
}
