import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baselineFromModels } from '../lib/dataplane/baselines';
import { runMonitor } from '../lib/monitoring/monitor';
import type { Report } from '../lib/monitoring/report';
import { folderStore } from '../lib/monitoring/store';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { manifestOf, parityFixture, repoRoot } from './helpers/models';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';
import { telcoHeader, telcoRows } from './helpers/telco';
import { parse } from 'csv-parse/sync';

/**
 * The proof of monitoring (README, "Monitoring"), end to end
 * through the real handlers, models and baselines: capture to a folder,
 * feedback, then the monitor. The churn baseline is its training split;
 * the 1,409 held-out customers are its test split (parity.json), their true
 * outcomes the Telco CSV's Churn column.
 */

interface ChurnCase {
  customerid: string;
  input: Record<string, string | number>;
}
const heldOut = parityFixture<{ version: string; cases: ChurnCase[] }>('churn').cases;
const churnColumn = telcoHeader!.indexOf('Churn');
const idColumn = telcoHeader!.indexOf('customerID');
const churned = new Map(telcoRows.map((row) => [row[idColumn]!.toLowerCase(), row[churnColumn] === 'Yes']));
const KEY = 'key-one';
const OTHER_KEY = 'key-two';

async function sendCustomers(h: Handlers, customers: readonly Record<string, unknown>[], batchId: string): Promise<string[]> {
  const ids: string[] = [];
  // Batches of 100: capture keeps at most a request's first 100 records (lib/observability/capture-requests.ts).
  for (let start = 0; start < customers.length; start += 100) {
    const id = `${batchId}-${start}`;
    const reply = await invoke(h.predict, {
      ...route('POST', '/models/{name}/predict', { name: 'churn' }),
      headers: { 'content-type': 'application/json', 'x-inference-id': id },
      apiKeyId: KEY,
      json: { instances: customers.slice(start, start + 100) },
    });
    expect(reply.status).toBe(200);
    ids.push(...customers.slice(start, start + 100).map((_, i) => `${id}/${i}`));
  }
  return ids;
}

/** The captures of one scenario, each in a folder of its own, and the monitor's reports of it. */
async function scenario(work: (h: Handlers) => Promise<void>, model: string): Promise<Report> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'monitoring-'));
  const restore = changeSettings({ CAPTURE_SAMPLE: '100', CAPTURE_DIR: dir });
  try {
    await work(freshHandlers());
    const run = await runMonitor({ store: folderStore(dir), model, hours: 1, baselineOf: baselineFromModels });
    expect(run.reports).toHaveLength(1);
    return run.reports[0]!;
  } finally {
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

const psiOf = (report: Report) => Object.fromEntries(report.features.map((f) => [f.name, f.psi]));

describe('monitoring churn with the Telco data', () => {
  let heldOutReport: Report;
  let shiftedReport: Report;
  let unmatchedFeedback: number;

  beforeAll(async () => {
    heldOutReport = await scenario(async (h) => {
      const ids = await sendCustomers(h, heldOut.map((c) => c.input), 'held');
      const feedback = ids.map((inference_id, i) => ({ inference_id, actual: churned.get(heldOut[i]!.customerid)! }));
      for (let start = 0; start < feedback.length; start += 1000) {
        const reply = await invoke(h.monitoring, { ...route('POST', '/models/{name}/feedback', { name: 'churn' }), apiKeyId: KEY, json: { feedback: feedback.slice(start, start + 1000) } });
        expect(reply.status).toBe(200);
      }
      // Another key's feedback names the same inferences: never joined.
      const reply = await invoke(h.monitoring, { ...route('POST', '/models/{name}/feedback', { name: 'churn' }), apiKeyId: OTHER_KEY, json: { feedback: feedback.slice(0, 50).map((f) => ({ ...f, actual: !f.actual })) } });
      expect(reply.json).toEqual({ model: 'churn', accepted: 50 });
      unmatchedFeedback = 50;
    }, 'churn');
    shiftedReport = await scenario(async (h) => {
      const shifted = heldOut.map((c, i) => ({ ...c.input, tenure: (i % 6) + 1, monthlycharges: Math.round(Number(c.input.monthlycharges) * 1.3 * 100) / 100 }));
      await sendCustomers(h, shifted, 'shifted');
    }, 'churn');
  });

  it('profiles every input field of the model against its training split', () => {
    const fields = manifestOf('churn').kind === 'binary-classification' ? (manifestOf('churn') as { features: { name: string }[] }).features.map((f) => f.name) : [];
    expect(heldOutReport.features.map((f) => f.name)).toEqual(fields);
    expect(heldOutReport.records).toBe(heldOut.length);
    expect(heldOutReport.baseline).toMatchObject({ records: 5634 });
  });

  it('finds no feature over PSI 0.1 for the held-out customers, and no drift', () => {
    const over = heldOutReport.features.filter((f) => f.psi === null || f.psi >= 0.1).map((f) => `${f.name} ${f.psi}`);
    expect(over).toEqual([]);
    expect(heldOutReport.drifting).toEqual([]);
    expect(heldOutReport.prediction!.psi!).toBeLessThan(0.1);
  });

  it('reports drift on exactly tenure and monthlycharges once they are moved, every other field stable', () => {
    expect([...shiftedReport.drifting].sort()).toEqual(['monthlycharges', 'tenure']);
    const psi = psiOf(shiftedReport);
    for (const [name, value] of Object.entries(psi)) {
      if (name === 'tenure' || name === 'monthlycharges') expect({ name, drift: value! > 0.25 }).toEqual({ name, drift: true });
      else expect({ name, stable: value! < 0.1 }).toEqual({ name, stable: true });
    }
    const tenure = shiftedReport.features.find((f) => f.name === 'tenure')!;
    expect(tenure.test).toMatchObject({ name: 'ks' });
    expect(tenure.test!.p_value).toBeLessThan(0.001);
    expect(shiftedReport.max_feature!.name).toMatch(/^(tenure|monthlycharges)$/);
  });

  it('joins the true outcomes to the predictions: live ROC AUC within 0.01 of the offline AUC on the same customers', () => {
    const offline = (manifestOf('churn').training as { metrics: { test_roc_auc: number } }).metrics.test_roc_auc;
    expect(heldOutReport.quality.joined).toBe(heldOut.length);
    expect(heldOutReport.quality.unmatched).toBe(unmatchedFeedback);
    expect(Math.abs(heldOutReport.quality.roc_auc! - offline)).toBeLessThan(0.01);
    const accuracy = Number(/test accuracy at 0\.5: ([0-9.]+)/.exec(readFileSync(path.join(repoRoot, 'models/churn/1.0.0/metrics.txt'), 'utf8'))![1]);
    expect(Math.abs(heldOutReport.quality.accuracy! - accuracy)).toBeLessThan(0.001);
    expect(heldOutReport.quality.calibration!.ece).toBeLessThan(0.1);
  });
});

describe('monitoring the intent model', () => {
  // The held-out split as training left it out (models/intent/data/messages.csv, split = test).
  const heldOutMessages = (parse(readFileSync(path.join(repoRoot, 'models/intent/data/messages.csv'), 'utf8'), { columns: true }) as { text: string; split: string }[])
    .filter((row) => row.split === 'test')
    .map((row) => row.text);
  const offTopic = readFileSync(path.join(repoRoot, 'tests/fixtures/monitoring/off-topic-messages.txt'), 'utf8').trim().split('\n');

  const send = (texts: readonly string[]) => async (h: Handlers) => {
    const reply = await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), apiKeyId: KEY, json: { instances: texts.map((text) => ({ text })) } });
    expect(reply.status).toBe(200);
  };

  it('reports text drift for messages about a topic it never saw, carried by the vocabulary share', async () => {
    const held = await scenario(send(heldOutMessages), 'intent');
    const off = await scenario(send(offTopic), 'intent');
    const heldShare = held.features.find((f) => f.name === 'text')!.parts!.vocabulary_share;
    const offText = off.features.find((f) => f.name === 'text')!;
    expect(offText.type).toBe('text');
    expect(offText.status).toBe('drift');
    expect(off.drifting).toEqual(['text']);
    const offShare = offText.parts!.vocabulary_share;
    expect(offShare.status).toBe('drift');
    expect(offShare.mean.current!).toBeLessThan(offShare.mean.baseline! - 0.2);
    // The held-out messages' words are the training data's, give or take their typos: a fraction of the new topic's shift.
    expect(held.records).toBe(heldOutMessages.length);
    expect(heldShare.psi!).toBeLessThan(offShare.psi! / 5);
    expect(Math.abs(heldShare.mean.current! - heldShare.mean.baseline!)).toBeLessThan(offShare.mean.baseline! - offShare.mean.current!);
    // The held-out split was built of short greetings, typos and other languages on purpose (models/intent/README.md): its lengths did move.
    expect(held.features.find((f) => f.name === 'text')!.parts!.length.status).toBe('drift');
  });
});
