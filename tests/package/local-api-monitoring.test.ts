import { callWithKey } from '../helpers/local-api';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import type { Report } from '../../lib/monitoring/report';
import { parityFixture, repoRoot } from '../helpers/models';
import { asPattern, readmeExamples } from '../helpers/readme';
import { telcoHeader, telcoRows } from '../helpers/telco';

/**
 * Monitoring as a new user meets it (README, "Monitoring"): `npm start` with
 * CAPTURE_SAMPLE and CAPTURE_DIR in the shell, customers sent through the
 * local gateway with a key, their outcomes sent back with the same key,
 * `npm run monitor -- --model churn --from <folder> --json`, the HTML page it
 * wrote, and GET /models/churn/monitoring answering the run's summary.
 */

const exec = promisify(execFile);
const cases = parityFixture().cases;
const churned = new Map(telcoRows.map((row) => [row[telcoHeader!.indexOf('customerID')]!.toLowerCase(), row[telcoHeader!.indexOf('Churn')] === 'Yes']));

describe('npm start, captures, feedback and npm run monitor', () => {
  let local: LocalApi | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'local-captures-'));
    local = await startLocalApi({ settings: { CAPTURE_SAMPLE: '100', CAPTURE_DIR: dir } });
  }, 180_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (route: string, init: RequestInit = {}) => callWithKey(local!.base, local!.keys['ml-inference-local-pro']!, route, init);

  it('captures what it serves, takes the outcomes back, and the monitor reports drift and live quality from them', async () => {
    expect(local!.log.join('')).toContain(`Monitoring: 100 % of predict and infer requests are captured, and feedback recorded,\nunder ${dir}`);
    const ids: string[] = [];
    // Batches of 100: capture keeps at most a request's first 100 records.
    for (let start = 0; start < cases.length; start += 100) {
      const batch = cases.slice(start, start + 100);
      const reply = await call('/models/churn/predict', { method: 'POST', body: JSON.stringify({ instances: batch.map((c) => c.input) }) });
      expect(reply.status).toBe(200);
      const id = reply.headers.get('x-inference-id')!;
      expect(id).toMatch(/\S/);
      ids.push(...batch.map((_, i) => `${id}/${i}`));
    }
    const feedback = ids.map((inference_id, i) => ({ inference_id, actual: churned.get(cases[i]!.customerid)! }));
    for (let start = 0; start < feedback.length; start += 1000) {
      const sent = await call('/models/churn/feedback', { method: 'POST', body: JSON.stringify({ feedback: feedback.slice(start, start + 1000) }) });
      expect(sent.status).toBe(200);
    }
    // Another plan's key cannot give this key's inferences an outcome.
    const free = await fetch(`${local!.base}/models/churn/feedback`, { method: 'POST', headers: { 'x-api-key': local!.keys['ml-inference-local-free']!, 'content-type': 'application/json' }, body: JSON.stringify({ inference_id: ids[0], actual: true }) });
    expect(free.status).toBe(200);

    const { stdout } = await exec('npm', ['run', '-s', 'monitor', '--', '--model', 'churn', '--from', dir, '--json'], { cwd: repoRoot, timeout: 120_000 });
    const report = JSON.parse(stdout) as Report & { page: string };
    expect(report.records).toBe(cases.length);
    expect(report.features).toHaveLength(19);
    expect(report.drifting).toEqual([]);
    const offline = (JSON.parse(readFileSync(path.join(repoRoot, 'models/churn/1.0.0/model.json'), 'utf8')) as { training: { metrics: { test_roc_auc: number } } }).training.metrics.test_roc_auc;
    expect(Math.abs(report.quality.roc_auc! - offline)).toBeLessThan(0.01);
    expect(report.quality).toMatchObject({ joined: cases.length, unmatched: 1 });
    expect(existsSync(report.page)).toBe(true);
    expect(readFileSync(report.page, 'utf8')).toContain('churn');

    const summary = await call('/models/churn/monitoring');
    expect(summary.status).toBe(200);
    const body = (await summary.json()) as { latest: { versions: { version: string; records: number; quality: { roc_auc: number } }[] } };
    expect(body.latest.versions[0]).toMatchObject({ version: '1.0.0', records: cases.length });
    expect(body.latest.versions[0]!.quality.roc_auc).toBeCloseTo(report.quality.roc_auc!, 10);
  }, 240_000);

  it.each(readmeExamples('monitoring-examples'))('answers $command as the README says', ({ command, answer }) => {
    const run = spawnSync('bash', ['-c', command], { cwd: repoRoot, env: { ...process.env, U: local!.base, K: local!.keys['ml-inference-local-pro']!, CAPTURE_DIR: dir }, encoding: 'utf8', timeout: 120_000 });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(asPattern(answer));
  });
});

