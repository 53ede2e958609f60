import type { Baseline } from './baseline';
import { dayOf, type FeedbackLine, type InferenceLine } from '../capture/capture-line';
import { PSI_DRIFT } from './drift';
import { calibration, macroAuc, regressionErrors, rocAuc } from './quality';
import { summaryOf, type QualityReport, type Report, type ReportSummary } from './report';
import type { Store } from './store';
import { VersionWindow } from './window';

/**
 * The monitor (README, "Monitoring"): reads a window of captures and
 * feedback from a store, and per model version compares the window with the
 * version's baseline and joins the feedback to the predictions. The
 * scheduled function (handlers/monitor.ts) and `npm run monitor` run this.
 *
 * Feedback is read first, from the window's start to now: usually far fewer
 * lines than inferences, it is the only thing held per record (the join's
 * memory grows with the feedback, not the traffic). The inferences are then
 * streamed once, each counted into its version's bins and, if feedback names
 * it, paired with it. A feedback item joins an inference only when both came
 * with the same API key (or both without one).
 */

export interface MonitorOptions {
  store: Store;
  /** Only this model's captures. */
  model?: string;
  hours: number;
  /** The window's end (now). */
  now?: Date;
  /** A version's baseline, or why it has none (no baseline file, the version is not in the models folder). */
  baselineOf: (model: string, version: string) => Baseline | string | Promise<Baseline | string>;
}

export interface MonitorRun {
  reports: Report[];
  /** Lines read and how long it took, for the run's log line. */
  stats: { inferenceLines: number; feedbackLines: number; skippedLines: number; ms: number };
}

/** Records under which a window's PSI is read with care. */
export const FEW_RECORDS = 100;

interface Pair {
  actual: FeedbackLine['actual'];
  prediction: NonNullable<InferenceLine['prediction']>;
}

const joinKey = (apiKeyId: string | undefined, inferenceId: string) => `${apiKeyId ?? ''}\u0000${inferenceId}`;

/** The keys of a capture type's partitions whose day can hold lines of [from, to]. */
async function keysOf(store: Store, type: 'inference' | 'feedback', model: string | undefined, from: Date, to: Date): Promise<string[]> {
  const first = dayOf(from.toISOString());
  const last = dayOf(to.toISOString());
  const keys = await store.list(`captures/${type}/${model ? `model=${model}/` : ''}`);
  return keys.filter((key) => {
    const day = /\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    return day !== undefined && day >= first && day <= last;
  });
}

async function* linesOf(store: Store, keys: readonly string[], skipped: { count: number }): AsyncGenerator<Record<string, unknown>> {
  for (const key of keys) {
    const text = (await store.read(key)) ?? '';
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null) yield value as Record<string, unknown>;
        else skipped.count++;
      } catch {
        skipped.count++;
      }
    }
  }
}

const within = (time: unknown, from: Date, to: Date) => typeof time === 'string' && time >= from.toISOString() && time <= to.toISOString();

function quality(pairs: readonly Pair[], feedback: number, unmatched: number, baseline: Baseline | undefined): QualityReport {
  const report: QualityReport = { feedback, joined: pairs.length, unmatched };
  if (pairs.length === 0) return report;
  const values = pairs.filter((p) => typeof p.prediction.value === 'number' && typeof p.actual === 'number');
  if (values.length > 0) {
    const errors = regressionErrors(values.map((p) => p.prediction.value!), values.map((p) => p.actual as number));
    return { ...report, mae: errors?.mae ?? null, rmse: errors?.rmse ?? null };
  }
  const labelled = pairs.filter((p) => p.prediction.label !== undefined);
  report.accuracy = labelled.length === 0 ? null : labelled.filter((p) => p.prediction.label === String(p.actual)).length / labelled.length;
  const scored = pairs.filter((p) => typeof p.prediction.score === 'number');
  if (baseline?.outcome?.type === 'binary' || scored.every((p) => typeof p.actual === 'boolean')) {
    // The score is the positive class's probability.
    report.roc_auc = rocAuc(scored.map((p) => p.prediction.score!), scored.map((p) => p.actual === true));
    report.calibration = calibration(scored.map((p) => p.prediction.score!), scored.map((p) => p.actual === true));
  } else {
    const labels = baseline?.outcome?.type === 'label' ? baseline.outcome.labels.map(String) : [];
    const full = pairs.filter((p) => p.prediction.probabilities !== undefined);
    report.roc_auc = labels.length > 1 && full.length > 0 ? macroAuc(full.map((p) => p.prediction.probabilities!), full.map((p) => String(p.actual)), labels) : null;
    // The top label's probability against whether it was right.
    report.calibration = calibration(scored.map((p) => p.prediction.score!), scored.map((p) => p.prediction.label === String(p.actual)));
  }
  return report;
}

export async function runMonitor(options: MonitorOptions): Promise<MonitorRun> {
  const started = performance.now();
  const to = options.now ?? new Date();
  const from = new Date(to.getTime() - options.hours * 3600_000);
  const skipped = { count: 0 };

  // Feedback of the window and since, last word per inference id and key.
  const feedback = new Map<string, { model: string; actual: FeedbackLine['actual'] }>();
  const feedbackPerModel = new Map<string, number>();
  let feedbackLines = 0;
  for await (const line of linesOf(options.store, await keysOf(options.store, 'feedback', options.model, from, to), skipped)) {
    if (line.capture !== 'feedback' || !within(line.time, from, to) || typeof line.inference_id !== 'string' || typeof line.model !== 'string') continue;
    feedbackLines++;
    const key = joinKey(typeof line.api_key_id === 'string' ? line.api_key_id : undefined, line.inference_id);
    if (!feedback.has(key)) feedbackPerModel.set(line.model, (feedbackPerModel.get(line.model) ?? 0) + 1);
    feedback.set(key, { model: line.model, actual: line.actual as FeedbackLine['actual'] });
  }

  const windows = new Map<string, VersionWindow>();
  const pairs = new Map<VersionWindow, Pair[]>();
  const notes = new Map<VersionWindow, string[]>();
  let inferenceLines = 0;
  for await (const raw of linesOf(options.store, await keysOf(options.store, 'inference', options.model, from, to), skipped)) {
    if (raw.capture !== 'inference' || !within(raw.time, from, to) || typeof raw.model !== 'string' || typeof raw.version !== 'string') continue;
    const line = raw as unknown as InferenceLine;
    inferenceLines++;
    const id = `${line.model}\u0000${line.version}`;
    let window = windows.get(id);
    if (window === undefined) {
      const baseline = await options.baselineOf(line.model, line.version);
      window = new VersionWindow(line.model, line.version, typeof baseline === 'string' ? undefined : baseline);
      windows.set(id, window);
      pairs.set(window, []);
      notes.set(window, typeof baseline === 'string' ? [`no baseline: ${baseline}; no drift can be computed`] : []);
    }
    window.add(line);
    const joined = feedback.get(joinKey(line.api_key_id, line.inference_id));
    if (joined && joined.model === line.model && line.prediction) pairs.get(window)!.push({ actual: joined.actual, prediction: line.prediction });
  }

  const generated = to.toISOString();
  const reports = [...windows.values()].map((window): Report => {
    const features = window.features();
    const ranked = features.filter((f) => f.psi !== null).sort((a, b) => b.psi! - a.psi!);
    const own = pairs.get(window)!;
    const versionsOfModel = [...windows.values()].filter((w) => w.model === window.model);
    const joinedForModel = versionsOfModel.reduce((n, w) => n + pairs.get(w)!.length, 0);
    const received = feedbackPerModel.get(window.model) ?? 0;
    const note = notes.get(window)!;
    if (window.records < FEW_RECORDS) note.push(`only ${window.records} records in the window: PSI over few records is noisy, so read it with the counts and p-values`);
    if (received > joinedForModel) {
      note.push(`${received - joinedForModel} of ${received} feedback items joined no inference of this window with the same key (older than the window, not captured, or sent with another key)`);
    }
    const b = window.baseline;
    return {
      model: window.model,
      version: window.version,
      generated,
      window: { from: from.toISOString(), to: generated, hours: options.hours },
      source: options.store.location,
      baseline: b ? { file: 'baseline.json', records: b.source.records, created: b.created, source: b.source.name } : null,
      records: window.records,
      features,
      drifting: features.filter((f) => f.psi !== null && f.psi > PSI_DRIFT).map((f) => f.name),
      max_feature: ranked[0] ? { name: ranked[0].name, psi: ranked[0].psi! } : null,
      prediction: window.predictionDrift(),
      quality: quality(own, received, received - joinedForModel, b),
      notes: note,
    };
  });
  reports.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.version < b.version ? -1 : 1));
  return { reports, stats: { inferenceLines, feedbackLines, skippedLines: skipped.count, ms: Math.round(performance.now() - started) } };
}

/** The run's time as a key part: 2026-12-04T01-02-03Z. */
const stamp = (iso: string) => `${iso.slice(0, 19).replace(/:/g, '-')}Z`;

/**
 * Writes each report (JSON and its HTML page) under
 * reports/model=<m>/version=<v>/<time>.json|.html, and per model the run's
 * summary as reports/model=<m>/latest.json, which GET /models/{name}/monitoring answers.
 */
export async function writeReports(store: Store, reports: readonly Report[], html: (report: Report) => string): Promise<ReportSummary[]> {
  const byModel = new Map<string, Report[]>();
  for (const r of reports) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  const summaries: ReportSummary[] = [];
  for (const [model, list] of byModel) {
    const keys = new Map<string, { report: string; page: string }>();
    for (const r of list) {
      const base = `reports/model=${model}/version=${r.version}/${stamp(r.generated)}`;
      await store.write(`${base}.json`, `${JSON.stringify(r, null, 2)}\n`, 'application/json');
      await store.write(`${base}.html`, html(r), 'text/html; charset=utf-8');
      keys.set(r.version, { report: `${base}.json`, page: `${base}.html` });
    }
    const summary = summaryOf(list, keys);
    await store.write(`reports/model=${model}/latest.json`, `${JSON.stringify(summary, null, 2)}\n`, 'application/json');
    summaries.push(summary);
  }
  return summaries;
}
