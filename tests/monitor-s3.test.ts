import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bucketStore } from '../lib/monitoring/store';
import type { Report, ReportSummary } from '../lib/monitoring/report';
import { freshHandlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { captureOutput, emfLines } from './helpers/log-lines';
import { parityFixture, repoRoot } from './helpers/models';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';
import { startS3, type LocalS3 } from './helpers/s3rver';

/**
 * The monitor against a real S3 API: s3rver (an S3-compatible server from
 * npm) on 127.0.0.1, started here. The captures are the handlers' own lines,
 * put in the bucket under the keys Kinesis Data Firehose's dynamic
 * partitioning gives them (captures/<capture>/model=/version=/date=/): Firehose
 * itself cannot run here, so this test puts the objects it would deliver.
 * Then `npm run monitor -- --from s3://…` and the scheduled handler read
 * them and write their reports there, and GET /models/{name}/monitoring
 * answers the latest one from the bucket.
 */

const BUCKET = 'ml-inference-monitoring-test';
const exec = promisify(execFile);
const customers = parityFixture().cases.slice(0, 400);

let s3: LocalS3;
let captured: string;
const s3Env = () => s3.env;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

beforeAll(async () => {
  captured = mkdtempSync(path.join(os.tmpdir(), 'captured-'));
  s3 = await startS3([BUCKET]);
  Object.assign(process.env, s3Env());

  // Real capture and feedback lines from the handlers.
  const restore = changeSettings({ CAPTURE_SAMPLE: '100', CAPTURE_DIR: captured });
  try {
    const h = freshHandlers();
    // Four requests of 100: capture keeps a request's first 100 records.
    for (let start = 0; start < customers.length; start += 100) {
      const batch = customers.slice(start, start + 100).map((c) => c.input);
      const reply = await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), headers: { 'content-type': 'application/json', 'x-inference-id': `s3-${start}` }, apiKeyId: 'k', json: { instances: batch } });
      expect(reply.status).toBe(200);
    }
    const feedback = customers.map((c, i) => ({ inference_id: `s3-${i - (i % 100)}/${i % 100}`, actual: c.churn_probability >= 0.5 }));
    expect((await invoke(h.monitoring, { ...route('POST', '/models/{name}/feedback', { name: 'churn' }), apiKeyId: 'k', json: { feedback } })).status).toBe(200);
  } finally {
    restore();
  }
  // Delivered as Firehose would: the same partition keys, newline-delimited messages.
  const store = bucketStore(BUCKET);
  for (const file of filesUnder(captured)) {
    const key = path.relative(captured, file).split(path.sep).join('/').replace(/[^/]+\.jsonl$/, 'ml-inference-capture-1-2026-12-04-00-00-00-abc');
    await store.write(key, readFileSync(file, 'utf8'), 'application/octet-stream');
  }
}, 60_000);

afterAll(async () => {
  await s3.close();
  rmSync(captured, { recursive: true, force: true });
});

describe('the monitor on S3', () => {
  it('npm run monitor -- --from s3://… --json reads the bucket, prints the report, and writes it beside the captures', async () => {
    const { stdout } = await exec('npm', ['run', '-s', 'monitor', '--', '--from', `s3://${BUCKET}/`, '--model', 'churn', '--json'], { cwd: repoRoot, env: { ...process.env, ...s3Env() }, timeout: 120_000 });
    const report = JSON.parse(stdout) as Report & { page: string };
    expect(report.records).toBe(customers.length);
    expect(report.features.map((f) => f.name)).toContain('tenure');
    expect(report.features.every((f) => typeof f.psi === 'number')).toBe(true);
    // The feedback is the model's own decisions: every one right.
    expect(report.quality).toMatchObject({ joined: customers.length, accuracy: 1 });
    expect(report.quality.roc_auc).toBe(1);
    expect(report.page).toMatch(new RegExp(`^s3://${BUCKET}/reports/model=churn/version=1\\.0\\.0/.*\\.html$`));
    const keys = await bucketStore(BUCKET).list('reports/model=churn/');
    expect(keys).toContain('reports/model=churn/latest.json');
    expect(keys.filter((k) => k.endsWith('.html'))).toHaveLength(1);
    const page = await bucketStore(BUCKET).read(report.page.slice(`s3://${BUCKET}/`.length));
    expect(page).toContain('<svg');
  });

  it('the scheduled handler writes the reports, publishes the monitor metrics, and GET /models/{name}/monitoring answers the latest summary', async () => {
    const restore = changeSettings({ MONITORING_BUCKET: BUCKET, MONITOR_WINDOW_HOURS: '48' });
    try {
      let handler!: typeof import('../handlers/monitor').handler;
      jest.isolateModules(() => {
        ({ handler } = require('../handlers/monitor') as typeof import('../handlers/monitor'));
      });
      let run!: { reports: number; records: number };
      const output = await captureOutput(async () => {
        run = await handler();
      });
      expect(run).toEqual({ reports: 1, records: customers.length });
      const figures = emfLines(output).filter((l) => 'FeatureDrift' in l);
      expect(figures.find((l) => l.model === 'churn' && l.version === '1.0.0')).toMatchObject({ LiveAccuracy: 1, LiveAUC: 1, FeedbackCount: customers.length });
      // The run's worst, for the alarms: the service dimension alone.
      expect(figures.find((l) => l.model === undefined)).toMatchObject({ LiveAccuracy: 1 });
      const summary = await invoke(freshHandlers().monitoring, route('GET', '/models/{name}/monitoring', { name: 'churn' }));
      const latest = (summary.json as { latest: ReportSummary }).latest;
      expect(latest.model).toBe('churn');
      expect(latest.window.hours).toBe(48);
      expect(latest.versions[0]).toMatchObject({ version: '1.0.0', records: customers.length, quality: { accuracy: 1 } });
    } finally {
      restore();
    }
  });
});
