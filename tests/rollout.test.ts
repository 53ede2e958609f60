import { customerKeyValue } from '../lib/caller';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke, type Reply } from './helpers/lambda';
import { accessLines, captureOutput, emfLines } from './helpers/log-lines';
import { parityFixture } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { changeSettings, withSettings } from './helpers/settings';
import { MAX_BODY_LIMIT } from '../lib/settings';

/**
 * Rollout (README, "Releasing a new version") through the real predict,
 * v2-infer and health handlers over scratch model folders: churn 1.0.0 as
 * bundled, 1.1.0 the same graph (answers identical), 1.2.0 the same graph
 * with a threshold of 0.3 (probabilities identical, labels flip between 0.3
 * and 0.5), and 9.9.9 whose ONNX file is broken (so, being the newest, it is
 * what a model without a traffic file would serve: 503).
 */

const customers = parityFixture().cases.map((c) => c.input);
const dir = scratchModelsDir(['churn/1.0.0', 'intent/1.0.0']);
const churn = path.join(dir, 'churn');

function addVersion(version: string, edit: (manifest: Record<string, any>) => void = () => undefined): void { // eslint-disable-line @typescript-eslint/no-explicit-any -- a manifest edited as plain JSON
  cpSync(path.join(churn, '1.0.0'), path.join(churn, version), { recursive: true });
  const file = path.join(churn, version, 'model.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.version = version;
  edit(manifest);
  writeFileSync(file, JSON.stringify(manifest));
}

addVersion('1.1.0');
addVersion('1.2.0', (m) => {
  m.output.threshold = 0.3;
  // Its golden answers as this threshold decides them, so it loads.
  for (const c of m.golden.cases) c.answer[m.output.label] = c.answer[m.output.probability] >= 0.3;
});
addVersion('1.3.0', (m) => {
  // Refuses a tenure above its golden cases' largest: a shadow that refuses requests the served version answers.
  m.features.find((f: { name: string }) => f.name === 'tenure').maximum = 72;
});
addVersion('9.9.9');
writeFileSync(path.join(churn, '9.9.9', 'model.onnx'), 'not an onnx file');

let handlers: Handlers;

/** Writes churn's traffic file (or removes it) and loads the handlers afresh over the scratch folder. */
function traffic(file: unknown | null): void {
  const target = path.join(churn, 'traffic.json');
  if (file === null) rmSync(target, { force: true });
  else writeFileSync(target, typeof file === 'string' ? file : JSON.stringify(file));
  useModelsDir(dir);
  handlers = freshHandlers();
}

const onModel = (json: unknown, apiKeyId?: string) => invoke(handlers.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json, apiKeyId });
const onDefault = (json: unknown) => invoke(handlers.predict, { json });
const onLabel = (label: string, json: unknown) => invoke(handlers.predict, { ...route('POST', '/models/{name}/labels/{label}/predict', { name: 'churn', label }), json });
const onVersion = (version: string, json: unknown) => invoke(handlers.predict, { ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version }), json });
const servedBy = (reply: Reply) => (reply.json.model as { version: string }).version;

afterAll(() => removeModelsDir(dir));

describe('a weighted split', () => {
  beforeAll(() => traffic({ labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 } }));

  it('sends 90/10 of 2,000 keyless requests within a binomial bound, and says which version answered', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const reply = await onModel(customers[i % customers.length]);
      expect(reply.status).toBe(200);
      expect(reply.headers['X-Model-Version']).toBe(servedBy(reply));
      counts[servedBy(reply)] = (counts[servedBy(reply)] ?? 0) + 1;
    }
    // Binomial(2000, 0.1): mean 200, sd 13.4; ±5 sd fails by chance about once in 1.7 million runs.
    expect(Object.keys(counts).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(counts['1.1.0']).toBeGreaterThanOrEqual(133);
    expect(counts['1.1.0']).toBeLessThanOrEqual(267);
  });

  it('applies to POST /predict on the default model and to the Open Inference Protocol', async () => {
    const versions = new Set<string>();
    for (let i = 0; i < 200; i++) versions.add(servedBy(await onDefault(customers[i])));
    expect([...versions].sort()).toEqual(['1.0.0', '1.1.0']);
    const inputs = [{ name: 'features', datatype: 'FP32', shape: [1, 45], data: Array(45).fill(0) }];
    const v2 = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const reply = await invoke(handlers.v2Infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'churn' }), json: { inputs } });
      expect(reply.headers['X-Model-Version']).toBe(reply.json.model_version);
      v2.add(String(reply.json.model_version));
    }
    expect([...v2].sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it('routes labels exactly, and names the labels there are for an unknown one', async () => {
    for (let i = 0; i < 20; i++) expect(servedBy(await onLabel('canary', customers[i]))).toBe('1.1.0');
    expect(servedBy(await onLabel('stable', customers[0]))).toBe('1.0.0');
    const unknown = await onLabel('nightly', customers[0]);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'model_not_found', error: 'model "churn" has no label "nightly"; labels: stable, canary' });
    // Names every object has are not labels either.
    for (const label of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect((await onLabel(label, customers[0])).status).toBe(404);
  });

  it('exposes the version header to browsers, and shows the file on GET /models/{name} and /health', async () => {
    const reply = await onModel(customers[0]);
    expect(String(reply.headers['Access-Control-Expose-Headers'])).toMatch(/X-Model-Version/i);
    const detail = await invoke(handlers.models, { ...route('GET', '/models/{name}', { name: 'churn' }) });
    expect(detail.json).toMatchObject({ version: '1.0.0', traffic: { labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 } } });
    const health = await invoke(handlers.health, { method: 'GET', path: '/health' });
    expect(health.json).toMatchObject({ status: 'ok', model: { version: '1.0.0' }, traffic: { split: { '1.0.0': 90, '1.1.0': 10 } } });
  });
});

describe('GET /models/{name}/versions/{version}', () => {
  beforeAll(() => traffic({ split: { '1.0.0': 100 } }));

  it('describes the version named, not the one the split serves, with the same fields as the unversioned route', async () => {
    const primary = await invoke(handlers.models, route('GET', '/models/{name}', { name: 'churn' }));
    const named = await invoke(handlers.models, route('GET', '/models/{name}/versions/{version}', { name: 'churn', version: '1.2.0' }));
    expect(primary.json.version).toBe('1.0.0');
    expect(named.status).toBe(200);
    expect(named.json).toMatchObject({ name: 'churn', version: '1.2.0', output: { threshold: 0.3 }, traffic: { split: { '1.0.0': 100 } } });
    expect(Object.keys(named.json).sort()).toEqual(Object.keys(primary.json).sort());
  });

  it('answers a version the model lacks with 404 model_not_found naming the versions, and a broken one with its reason', async () => {
    const missing = await invoke(handlers.models, route('GET', '/models/{name}/versions/{version}', { name: 'churn', version: '7.0.0' }));
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'model_not_found', error: 'model "churn" has no version "7.0.0"; versions: 1.0.0, 1.1.0, 1.2.0, 1.3.0, 9.9.9' });
    // 9.9.9's manifest is valid (only its ONNX file is broken): it is described, from the manifest alone.
    expect((await invoke(handlers.models, route('GET', '/models/{name}/versions/{version}', { name: 'churn', version: '9.9.9' }))).json).toMatchObject({ version: '9.9.9' });
  });
});

describe('a sticky split', () => {
  beforeAll(() => traffic({ split: { '1.0.0': 50, '1.1.0': 50 }, sticky: 'api_key' }));

  it('keeps each key id on one version, and spreads key ids over both', async () => {
    const byKey = new Map<string, Set<string>>();
    for (let k = 0; k < 40; k++) {
      const key = `key-${k}`;
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) seen.add(servedBy(await onModel(customers[i], key)));
      byKey.set(key, seen);
    }
    for (const [key, seen] of byKey) expect({ key, versions: seen.size }).toEqual({ key, versions: 1 });
    const used = new Set([...byKey.values()].flatMap((s) => [...s]));
    expect([...used].sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it("keeps a customer on its version across key rotations: a customer key's value carries the customer's id (lib/caller.ts), whatever API Gateway's key id", async () => {
    const byCustomer = new Map<string, Set<string>>();
    for (let c = 0; c < 20; c++) {
      const customer = `c${String(c).padStart(9, '0')}`;
      const seen = new Set<string>();
      // Three keys of the customer (a rotation's new ones), each with an id of its own, as API Gateway gives.
      for (let k = 0; k < 3; k++) {
        const value = customerKeyValue(customer, `${'s'.repeat(31)}${k}`);
        const reply = await invoke(handlers.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), headers: { 'content-type': 'application/json', 'x-api-key': value }, apiKeyId: `aws-key-${c}-${k}`, json: customers[k] });
        seen.add(servedBy(reply));
      }
      byCustomer.set(customer, seen);
    }
    for (const [customer, seen] of byCustomer) expect({ customer, versions: seen.size }).toEqual({ customer, versions: 1 });
    expect(new Set([...byCustomer.values()].flatMap((s) => [...s])).size).toBe(2);
  });
});

describe('a shadow version', () => {
  it('never changes an answer, and reports its disagreement in the access line and metrics by version', async () => {
    traffic(null);
    const batch = { instances: customers.slice(0, 300) };
    const plain = await onVersion('1.1.0', batch);
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' }); // read when the handlers load
    traffic({ split: { '1.1.0': 100 }, shadow: '1.2.0' });
    let shadowed!: Reply;
    const output = await captureOutput(async () => {
      shadowed = await onModel(batch);
    });
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
    expect(shadowed.status).toBe(200);
    expect(shadowed.json.predictions).toEqual(plain.json.predictions);
    const probabilities = (plain.json.predictions as { churn_probability: number }[]).map((p) => p.churn_probability);
    const flips = probabilities.filter((p) => p >= 0.3 && p < 0.5).length;
    expect(flips).toBeGreaterThan(0);
    const [line] = accessLines(output);
    expect(line).toMatchObject({ version: '1.1.0', shadow: { version: '1.2.0', outcome: 'compared', max_delta: 0, flips, ms: expect.any(Number) } });
    const metrics = emfLines(output).find((l) => 'ShadowFlips' in l);
    expect(metrics).toMatchObject({ model: 'churn', version: '1.2.0', ShadowFlips: flips, ShadowMaxDelta: 0, ShadowErrors: 0, ShadowSkipped: 0 });
  });

  it('compares the Open Inference Protocol outputs too, and stays silent on requests its own version serves', async () => {
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' }); // read when the handlers load
    traffic({ split: { '1.1.0': 100 }, shadow: '1.2.0' });
    try {
      const inputs = [{ name: 'features', datatype: 'FP32', shape: [2, 45], data: Array(90).fill(0.5) }];
      const output = await captureOutput(async () => {
        const reply = await invoke(handlers.v2Infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'churn' }), json: { inputs } });
        expect(reply.json.model_version).toBe('1.1.0');
      });
      // The same graph: equal tensors (the threshold is not in them).
      expect(accessLines(output)[0]).toMatchObject({ route_family: 'v2-infer', shadow: { version: '1.2.0', outcome: 'compared', max_delta: 0, flips: 0 } });
      traffic({ split: { '1.2.0': 100 }, shadow: '1.2.0' });
      const own = await captureOutput(async () => {
        expect((await onModel(customers[0])).status).toBe(200);
      });
      expect(accessLines(own)[0]).not.toHaveProperty('shadow');
    } finally {
      changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
    }
  });

  it('that refuses the request is counted as an error, and the client still gets its answer', async () => {
    const customer = { ...customers[0], tenure: 73 };
    const plain = await onVersion('1.0.0', customer);
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' }); // read when the handlers load
    traffic({ split: { '1.0.0': 100 }, shadow: '1.3.0' });
    try {
      let shadowed!: Reply;
      const output = await captureOutput(async () => {
        shadowed = await onModel(customer);
      });
      expect(shadowed.status).toBe(200);
      expect(shadowed.json).toEqual(plain.json);
      expect(accessLines(output)[0]).toMatchObject({ status: 200, shadow: { version: '1.3.0', outcome: 'error', reason: 'validation_failed' } });
      expect(emfLines(output).find((l) => 'ShadowErrors' in l)).toMatchObject({ version: '1.3.0', ShadowErrors: 1 });
    } finally {
      changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
    }
  });

  it.each([
    ['not ready (its ONNX file is broken)', '9.9.9', undefined, 'not ready'],
    ['over its time budget', '1.2.0', '1', 'over the time budget'],
  ])('that is %s is skipped: the answer and its status are as without it', async (_, shadow, budget, reason) => {
    // 10,000 records (MAX_BATCH and MAX_BODY_BYTES raised for this test: the body is ~4.4 MB) take several ms to score: far over a 1 ms budget.
    await withSettings({ MAX_BATCH: '10000', MAX_BODY_BYTES: String(MAX_BODY_LIMIT) }, async () => {
      traffic(null); // settings are read when the handlers load
      const batch = { instances: Array.from({ length: 10_000 }, (__, i) => customers[i % customers.length]) };
      const plain = await onVersion('1.1.0', batch);
      await withSettings({ SHADOW_BUDGET_MS: budget, POWERTOOLS_LOG_LEVEL: 'INFO' }, async () => {
        traffic({ split: { '1.1.0': 100 }, shadow });
        let shadowed!: Reply;
        const output = await captureOutput(async () => {
          shadowed = await onModel(batch);
        });
        expect(shadowed.status).toBe(200);
        expect(shadowed.json.predictions).toEqual(plain.json.predictions);
        expect(accessLines(output)[0]).toMatchObject({ status: 200, shadow: { version: shadow, outcome: 'skipped', reason } });
      });
    });
  });
});

describe('a traffic file that cannot be used', () => {
  it.each([
    ['not JSON', '{"split": ', 'traffic.json is not valid JSON'],
    ['an unknown field', { split: { '1.0.0': 100 }, canary: '1.1.0' }, 'traffic.json is invalid: unknown field "canary"'],
    ['weights not summing to 100', { split: { '1.0.0': 90, '1.1.0': 5 } }, "traffic.json is invalid: the split's weights sum to 95, not 100"],
    ['a weight that is not an integer', { split: { '1.0.0': 89.5, '1.1.0': 10.5 } }, 'traffic.json is invalid: /split/1.0.0 must be integer'],
    ['a version that is not deployed', { split: { '1.0.0': 90, '2.0.0': 10 } }, 'traffic.json names version "2.0.0", which is not deployed (versions: 1.0.0, 1.1.0, 1.2.0, 1.3.0, 9.9.9)'],
    ['a label on a version that is not deployed', { labels: { canary: '3.0.0' }, split: { '1.0.0': 100 } }, 'traffic.json names version "3.0.0", which is not deployed'],
    ['a version that is not ready', { labels: { stable: '1.0.0' }, split: { '1.0.0': 90, '9.9.9': 10 } }, 'traffic.json names version "9.9.9", which is not ready: sha256 mismatch'],
  ])('(%s): the routes that read it answer 503 with the reason; exact versions and other models answer', async (_, file, reason) => {
    traffic(file);
    for (const reply of [await onModel(customers[0]), await onDefault(customers[0]), await onLabel('stable', customers[0])]) {
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ code: 'model_unavailable' });
      expect(String(reply.json.error)).toContain(reason);
    }
    expect((await onVersion('1.0.0', customers[0])).status).toBe(200);
    const intent = await invoke(handlers.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { text: 'hello' } });
    expect(intent.status).toBe(200);
  });

  it("names the model, with no version, in the access line of a request it refused", async () => {
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' }); // read when the handlers load
    traffic({ split: { '1.0.0': 95 } });
    try {
      const output = await captureOutput(async () => {
        expect((await onModel(customers[0])).status).toBe(503);
        expect((await onLabel('nightly', customers[0])).status).toBe(503);
      });
      for (const line of accessLines(output)) {
        expect(line).toMatchObject({ model: 'churn', code: 'model_unavailable' });
        expect(line).not.toHaveProperty('version');
      }
    } finally {
      changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
    }
  });

  afterAll(() => traffic(null));
});

describe('npm run model:traffic and model:check', () => {
  const { cli } = require('../scripts/model-traffic') as typeof import('../scripts/model-traffic');
  const file = path.join(churn, 'traffic.json');
  const quiet = <T>(work: () => T): T => {
    const spies = [jest.spyOn(console, 'log').mockImplementation(() => undefined), jest.spyOn(console, 'error').mockImplementation(() => undefined)];
    try {
      return work();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  };

  beforeEach(() => traffic(null));

  it('writes each release step as the service reads it, and refuses a bad one without touching the file', () => {
    expect(quiet(() => cli(['churn', '--split', '1.0.0=100', '--label', 'stable=1.0.0']))).toBe(0);
    expect(quiet(() => cli(['churn', '--shadow', '1.1.0']))).toBe(0);
    expect(quiet(() => cli(['churn', '--split', '1.0.0=90,1.1.0=10', '--label', 'canary=1.1.0']))).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ labels: { stable: '1.0.0', canary: '1.1.0' }, split: { '1.0.0': 90, '1.1.0': 10 }, shadow: '1.1.0' });
    expect(quiet(() => cli(['churn', '--promote', '1.1.0']))).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ labels: { stable: '1.1.0', canary: '1.1.0' }, split: { '1.1.0': 100 } });
    const before = readFileSync(file, 'utf8');
    for (const bad of [['--split', '1.0.0=90'], ['--split', '1.0.0=50,7.0.0=50'], ['--sticky', 'ip'], ['--promote', '1.0.0', '--split', '1.0.0=100']]) {
      expect(quiet(() => cli(['churn', ...bad]))).toBe(2);
      expect(readFileSync(file, 'utf8')).toBe(before);
    }
  });

  it('model:check fails on a traffic file that names a version that does not load', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    writeFileSync(file, JSON.stringify({ split: { '1.0.0': 90, '9.9.9': 10 } }));
    const run = spawnSync('npm', ['run', '--silent', 'model:check'], { cwd: path.resolve(__dirname, '..'), env: { ...process.env, MODELS_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('FAIL churn/traffic.json: names 9.9.9, which do not load');
    expect(run.stdout).toContain('ok   churn/1.1.0');
  });
});
