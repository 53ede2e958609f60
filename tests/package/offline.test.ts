import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startOffline, stopProcessGroup, type Offline } from '../../scripts/offline-server';
import { listModels } from '../../lib/repository/model-repository';
import { isErrorBody } from '../helpers/error-body';
import { modelsDir, parityFixture, repoRoot, served } from '../helpers/models';

const fixture = parityFixture();

/**
 * The README's request-format examples: each command with the answer lines
 * ("# ...") under it, where "…" stands for anything.
 */
function readmeExamples(): { command: string; answer: string }[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf('<!-- formats-examples -->'), readme.indexOf('<!-- /formats-examples -->'));
  const examples: { command: string; answer: string[] }[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('# ')) examples.at(-1)!.answer.push(line.slice(2));
    else if (line.trim() !== '' && !line.startsWith('```') && !line.startsWith('<!--')) examples.push({ command: line, answer: [] });
  }
  return examples.map((e) => ({ command: e.command, answer: e.answer.join('\n') }));
}

const asPattern = (answer: string) => new RegExp(`^${answer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/…/g, '.*')}$`, 's');

describe('the local API Gateway (serverless-offline on 127.0.0.1)', () => {
  let offline: Offline | undefined;

  beforeAll(async () => {
    offline = await startOffline();
  }, 120_000);

  afterAll(async () => {
    if (offline) await stopProcessGroup(offline.child);
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${offline!.base}${path}`, init);
  const post = (body: string, headers: Record<string, string>) => call('/predict', { method: 'POST', body, headers });
  const customer = fixture.cases[0]!;

  it('scores a customer with the key the server accepts', async () => {
    // The version scikit-learn's outputs belong to, named: /predict serves the newest.
    const res = await call(`/models/churn/versions/${fixture.version}/predict`, {
      method: 'POST',
      body: JSON.stringify(customer.input),
      headers: { 'x-api-key': offline!.key, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { churn_probability: number; churn: boolean };
    expect(Math.abs(body.churn_probability - customer.churn_probability)).toBeLessThan(1e-5);
    expect(body.churn).toBe(body.churn_probability >= 0.5);
  });

  it('refuses predict without a key or with a wrong one: 403', async () => {
    expect((await post(JSON.stringify(customer.input), { 'content-type': 'application/json' })).status).toBe(403);
    expect((await post(JSON.stringify(customer.input), { 'x-api-key': 'not-a-key', 'content-type': 'application/json' })).status).toBe(403);
  });

  it('answers health with the key (200) and refuses it without (403)', async () => {
    const res = await call('/health', { headers: { 'x-api-key': offline!.key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', model: { name: 'churn', version: served('churn').version } });
    expect((await call('/health')).status).toBe(403);
  });

  it('serves the model list, a named model, and the Open Inference Protocol behind the key', async () => {
    const key = { 'x-api-key': offline!.key };
    const list = await call('/models', { headers: key });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(listModels(modelsDir).map((m) => m.name));

    const intent = await call('/models/intent/predict', { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: '{"text": "Thanks, the new plan is great!"}' });
    expect(intent.status).toBe(200);
    expect(await intent.json()).toMatchObject({ intent: expect.any(String), model: { name: 'intent' } });
    // The version that answered, in a header browsers may read; intent's traffic file labels it "stable".
    expect(intent.headers.get('x-model-version')).toBe('1.0.0');
    expect(intent.headers.get('access-control-expose-headers')).toMatch(/x-model-version/i);
    const labelled = await call('/models/intent/labels/stable/predict', { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: '{"text": "hello"}' });
    expect(labelled.status).toBe(200);
    expect(labelled.headers.get('x-model-version')).toBe('1.0.0');

    const ready = await call('/v2/health/ready', { headers: key });
    expect(ready.status).toBe(200);
    const infer = await call('/v2/models/intent/infer', {
      method: 'POST',
      headers: { ...key, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['hello there', 'why is my bill so high?'] }] }),
    });
    expect(infer.status).toBe(200);
    expect(((await infer.json()) as { outputs: { shape: number[] }[] }).outputs[0]!.shape).toEqual([2, 4]);

    for (const path of ['/models', '/v2/health/live', '/v2/models/churn']) expect((await call(path)).status).toBe(403);
  });

  it('leaves one readable access line per request in the output, a rejection with its failing path', async () => {
    const before = offline!.log.join('').length;
    const headers = { 'x-api-key': offline!.key, 'content-type': 'application/json' };
    expect((await post(JSON.stringify({ ...customer.input, tenure: -1 }), headers)).status).toBe(400);
    expect((await call('/v2/models/churn/ready', { headers })).status).toBe(200);
    // The line is written before the answer leaves the worker; give the pipe a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = offline!.log
      .join('')
      .slice(before)
      .split('\n')
      .filter((l) => l.startsWith('{"level"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === 'request');
    expect(lines).toEqual([
      expect.objectContaining({ route: '/predict', status: 400, code: 'validation_failed', error_paths: ['/tenure'], model: 'churn' }),
      expect.objectContaining({ route: '/v2/models/{name}/ready', status: 200, model: 'churn', route_family: 'v2-metadata' }),
    ]);
  });

  describe("the README's request-format examples, run as written from the project's root", () => {
    const examples = readmeExamples();
    it('are there', () => {
      expect(examples.length).toBeGreaterThanOrEqual(4);
      expect(examples.every((e) => e.answer !== '')).toBe(true);
    });
    it.each(examples.map((e) => [e.command, e] as const))('%s', (_command, { command, answer }) => {
      const run = spawnSync('bash', ['-c', command], { cwd: repoRoot, env: { ...process.env, U: offline!.base, K: offline!.key }, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(0);
      expect(run.stdout.replace(/\n$/, '')).toMatch(asPattern(answer));
    });
  });

  it('answers malformed JSON with a 400 JSON error', async () => {
    const res = await post('{"tenure": ', { 'x-api-key': offline!.key, 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toEqual({ error: 'request body is not valid JSON', code: 'invalid_json', details: [], request_id: expect.any(String) });
    expect(isErrorBody(body)).toBe(true);
  });
});
