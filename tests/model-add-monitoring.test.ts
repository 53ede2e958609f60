import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASELINE_FILE, type Baseline } from '../lib/monitoring/baseline';
import { addModel, Refused } from '../scripts/model-add/main';
import { cli as baselineCli } from '../scripts/model-baseline';
import { freshHandlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { captureOutput } from './helpers/log-lines';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';

/**
 * model:add --baseline and --no-capture, and model:baseline on a version that
 * exists (README, "Monitoring"), on a scikit-learn pipeline exported with
 * skl2onnx (a tabular classifier) and the bundled churn model.
 */

const fixture = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name);
const contracts = ['month-to-month', 'one_year', 'two_year'];
const rows = Array.from({ length: 300 }, (_, i) => ({ contract: contracts[i % 3], tenure: (i * 7) % 72, monthly_charges: 20 + ((i * 13) % 90), total_charges: 100 + i * 17 }));

describe('model:add with a baseline and fields never captured', () => {
  const dir = scratchModelsDir(['churn/1.0.0']);
  const data = mkdtempSync(path.join(os.tmpdir(), 'baseline-data-'));
  beforeAll(() => useModelsDir(dir));
  afterAll(() => {
    removeModelsDir(dir);
    rmSync(data, { recursive: true, force: true });
  });

  it('profiles the file through the model, lists the baseline with its sha256, and never captures the named field', async () => {
    const jsonl = path.join(data, 'train.jsonl');
    writeFileSync(jsonl, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"contract": "lifetime", "tenure": "soon"}\n`);
    const added = await addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans', baseline: jsonl, noCapture: ['total_charges'] });
    expect(added.manifest.capture).toEqual({ total_charges: false });
    expect(added.manifest.files?.[BASELINE_FILE]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(added.traffic.join('\n')).toMatch(/baseline\.json: 300 records of train\.jsonl profiled, 1 refused \(the first, line 301/);
    const baseline = JSON.parse(readFileSync(path.join(added.dir, BASELINE_FILE), 'utf8')) as Baseline;
    expect(baseline.fields.map((f) => f.name)).toEqual(['contract', 'tenure', 'monthly_charges']);
    expect(baseline.prediction.count).toBe(300);
    expect(Buffer.byteLength(JSON.stringify(baseline))).toBeLessThan(8 * 1024);

    const restore = changeSettings({ CAPTURE_SAMPLE: '100' });
    try {
      const h = freshHandlers();
      const detail = await invoke(h.models, route('GET', '/models/{name}', { name: 'plans' }));
      expect(detail.json).toMatchObject({ monitoring: { baseline: { file: BASELINE_FILE, sha256: added.manifest.files![BASELINE_FILE]!.sha256 }, not_captured: ['total_charges'] } });
      const output = await captureOutput(async () => {
        const reply = await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'plans' }), json: { instances: rows.slice(0, 3) } });
        expect(reply.status).toBe(200);
        const infer = await invoke(h.v2Infer, {
          ...route('POST', '/v2/models/{name}/infer', { name: 'plans' }),
          json: { inputs: ['contract', 'tenure', 'monthly_charges', 'total_charges'].map((name) => ({ name, shape: [1, 1], datatype: name === 'contract' ? 'BYTES' : name === 'tenure' ? 'INT64' : name === 'monthly_charges' ? 'FP32' : 'FP64', data: [(rows[0] as Record<string, unknown>)[name]] })) },
        });
        expect(infer.status).toBe(200);
      });
      const lines = output.json.filter((l) => l.capture === 'inference');
      expect(lines).toHaveLength(4);
      for (const line of lines) {
        expect(JSON.stringify(line.input)).not.toContain('total_charges');
        expect(JSON.stringify(line.input)).not.toContain(String(rows[0]!.total_charges));
      }
    } finally {
      restore();
    }
  });

  it("gives a new version the fields its predecessor never captured, but not its baseline, which profiles the predecessor's predictions", async () => {
    const next = await addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans', version: '1.1.0' });
    expect(next.manifest.capture).toEqual({ total_charges: false });
    expect(Object.keys(next.manifest.files ?? {})).not.toContain(BASELINE_FILE);
  });

  it('refuses feedback for a model whose answers are no prediction (a tensor model), naming why', async () => {
    await addModel({ file: fixture('fixed_3d.onnx'), name: 'volume' });
    const reply = await invoke(freshHandlers().monitoring, { ...route('POST', '/models/{name}/feedback', { name: 'volume' }), json: { inference_id: 'abc', actual: 1 } });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ code: 'validation_failed', error: 'model "volume" (tensor) answers no prediction that feedback could state' });
  });

  it('answers GET /models/{name}/monitoring with the reason, not a 500, when the latest summary is damaged', async () => {
    const store = mkdtempSync(path.join(os.tmpdir(), 'reports-'));
    mkdirSync(path.join(store, 'reports', 'model=plans'), { recursive: true });
    writeFileSync(path.join(store, 'reports', 'model=plans', 'latest.json'), '{"model": "plans", "generated"');
    const restore = changeSettings({ CAPTURE_DIR: store });
    try {
      const reply = await invoke(freshHandlers().monitoring, route('GET', '/models/{name}/monitoring', { name: 'plans' }));
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ model: 'plans', latest: null, reason: 'reports/model=plans/latest.json is not valid JSON: the next monitor run writes it anew' });
    } finally {
      restore();
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('refuses --no-capture of a field the model does not have, naming its fields', async () => {
    await expect(addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans-typo', noCapture: ['emial'] })).rejects.toThrow(Refused);
    await expect(addModel({ file: fixture('skl_zipmap_classifier.onnx'), name: 'plans-typo', noCapture: ['emial'] })).rejects.toThrow(/capture: "emial" is not an input field of the model \(its fields: contract, tenure, monthly_charges, total_charges\)/);
  });

  it('model:baseline writes the baseline of a version that exists from a CSV, and the version still loads', async () => {
    const csv = path.join(data, 'head.csv');
    writeFileSync(csv, readFileSync(path.join(repoRoot, '..', 'shared', 'data', 'telco-customer-churn.csv'), 'utf8').split('\n').slice(0, 401).join('\n'));
    const before = JSON.parse(readFileSync(path.join(dir, 'churn', '1.0.0', 'model.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
    const out = await captureOutput(async () => {
      expect(await baselineCli(['churn', '--version', '1.0.0', csv])).toBe(0);
    });
    expect(out.text).toContain('churn 1.0.0: baseline.json from 400 records of head.csv');
    const after = JSON.parse(readFileSync(path.join(dir, 'churn', '1.0.0', 'model.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
    expect(after.files[BASELINE_FILE]!.sha256).not.toBe(before.files[BASELINE_FILE]!.sha256);
    const baseline = JSON.parse(readFileSync(path.join(dir, 'churn', '1.0.0', BASELINE_FILE), 'utf8')) as Baseline;
    expect(baseline.source).toMatchObject({ name: 'head.csv', records: 400 });
    const golden = (after as unknown as { golden: { cases: { request: unknown }[] } }).golden.cases[0]!.request;
    const reply = await invoke(freshHandlers().predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: golden });
    expect(reply.status).toBe(200);
  });
});
