import { stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { startCapturedLocalApi } from '../helpers/local-api';
import { listModels } from '../../lib/repository/model-repository';
import { isErrorBody } from '../helpers/error-body';
import { resourcesOfType, template } from './artifacts';
import { asPattern, readmeBlock, readmeExamples } from '../helpers/readme';
import { execFileSync, spawnSync } from 'node:child_process';
import { modelsDir, parityFixture, repoRoot, served } from '../helpers/models';

const fixture = parityFixture();

describe('the local API (npm start: the local gateway in front of serverless-offline, on 127.0.0.1)', () => {
  let offline: LocalApi | undefined;
  /** The pro key: these tests make more calls than the free plan's burst. */
  let key: string;

  beforeAll(async () => {
    offline = await startCapturedLocalApi();
    key = offline.keys['ml-inference-local-pro']!;
  }, 120_000);

  afterAll(async () => {
    if (offline) await stopProcessGroup(offline.child);
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${offline!.base}${path}`, init);
  const post = (body: string, headers: Record<string, string>) => call('/predict', { method: 'POST', body, headers });
  const customer = fixture.cases[0]!;

  it('scores a customer with a key of the local stage', async () => {
    // The version scikit-learn's outputs belong to, named: /predict serves the newest.
    const res = await call(`/models/churn/versions/${fixture.version}/predict`, {
      method: 'POST',
      body: JSON.stringify(customer.input),
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
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
    const res = await call('/health', { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', model: { name: 'churn', version: served('churn').version } });
    expect((await call('/health')).status).toBe(403);
  });

  it('serves the model list, a named model, and the Open Inference Protocol behind the key', async () => {
    const keyed = { 'x-api-key': key };
    const list = await call('/models', { headers: keyed });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(listModels(modelsDir).map((m) => m.name));

    const intent = await call('/models/intent/predict', { method: 'POST', headers: { ...keyed, 'content-type': 'application/json' }, body: '{"text": "Thanks, the new plan is great!"}' });
    expect(intent.status).toBe(200);
    expect(await intent.json()).toMatchObject({ intent: expect.any(String), model: { name: 'intent' } });
    // The version that answered, in a header browsers may read; intent's traffic file labels it "stable".
    expect(intent.headers.get('x-model-version')).toBe('1.0.0');
    expect(intent.headers.get('access-control-expose-headers')).toMatch(/x-model-version/i);
    const labelled = await call('/models/intent/labels/stable/predict', { method: 'POST', headers: { ...keyed, 'content-type': 'application/json' }, body: '{"text": "hello"}' });
    expect(labelled.status).toBe(200);
    expect(labelled.headers.get('x-model-version')).toBe('1.0.0');

    const ready = await call('/v2/health/ready', { headers: keyed });
    expect(ready.status).toBe(200);
    const infer = await call('/v2/models/intent/infer', {
      method: 'POST',
      headers: { ...keyed, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['hello there', 'why is my bill so high?'] }] }),
    });
    expect(infer.status).toBe(200);
    expect(((await infer.json()) as { outputs: { shape: number[] }[] }).outputs[0]!.shape).toEqual([2, 4]);

    for (const path of ['/models', '/v2/health/live', '/v2/models/churn']) expect((await call(path)).status).toBe(403);
  });

  it('leaves one readable access line per request in the output, a rejection with its failing path', async () => {
    const before = offline!.log.join('').length;
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
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

  it('answers malformed JSON with a 400 JSON error', async () => {
    const res = await post('{"tenure": ', { 'x-api-key': key, 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body).toEqual({ error: 'request body is not valid JSON', code: 'invalid_json', details: [], request_id: expect.any(String) });
    expect(isErrorBody(body)).toBe(true);
  });
  describe("the README's request-format examples, run as written from the project's root", () => {
    const examples = readmeExamples('formats-examples');
    it('are there', () => {
      expect(examples.length).toBeGreaterThanOrEqual(4);
      expect(examples.every((e) => e.answer !== '')).toBe(true);
    });
    it.each(examples.map((e) => [e.command, e] as const))('%s', (_command, { command, answer }) => {
      const run = spawnSync('bash', ['-c', command], { cwd: repoRoot, env: { ...process.env, U: offline!.base, K: key }, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(0);
      expect(run.stdout.replace(/\n$/, '')).toMatch(asPattern(answer));
    });
  });

  it('serves the OpenAPI document and the docs page without a key, pointing at this stage', async () => {
    const document = await call('/openapi.json');
    expect(document.status).toBe(200);
    expect(((await document.json()) as { servers: { url: string }[] }).servers.map((s) => s.url)).toEqual(['/local']);
    const page = await call('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/local/docs/swagger-ui-bundle.js');
    expect((await call('/docs/swagger-ui.css')).status).toBe(200);
  });

  describe('as the local stage template specifies', () => {
    const free = () => offline!.keys['ml-inference-local-free']!;

    /** The README's shell example between <!-- name --> markers, pointed at this server. */
    const readmeExample = (name: string) => {
      const block = /```sh\n([\s\S]*?)```\n$/.exec(readmeBlock(name));
      if (!block) throw new Error(`README's ${name} block holds no sh example`);
      return block[1]!.replaceAll('http://127.0.0.1:3000/local', offline!.base);
    };
    const shell = (script: string) => execFileSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });

    it('accepts every usage plan\'s key, each with its own key id in the event', async () => {
      expect(Object.keys(offline!.keys).sort()).toEqual(['ml-inference-local-free', 'ml-inference-local-pro']);
      const requestIds: string[] = [];
      for (const value of [free(), key]) {
        const res = await call('/health', { headers: { 'x-api-key': value } });
        expect(res.status).toBe(200);
        requestIds.push(res.headers.get('x-amzn-requestid')!);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = offline!.log.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      // The function's access line and the gateway's, found by the request id the event carried.
      const handlerIds = requestIds.map((id) => lines.find((l) => l.message === 'request' && l.request_id === id)?.api_key_id);
      const gatewayIds = requestIds.map((id) => lines.find((l) => l.requestId === id)?.apiKeyId);
      expect(handlerIds[0]).not.toBe(handlerIds[1]);
      for (const id of handlerIds) expect(id).toMatch(/^[0-9a-z]{10}$/);
      expect(gatewayIds).toEqual(handlerIds);
    });

    it('answers the README\'s set-up curl as the README says', () => {
      const example = readmeExample('setup-curl');
      const [command, comment] = [example.split('\n# ')[0]!, example.split('\n# ')[1]!];
      expect(JSON.parse(shell(command))).toEqual(JSON.parse(comment));
    });

    it('shows the README\'s limits: the free key\'s burst, then 429s; none on the pro key', () => {
      const [freeLoop, , proLoop] = readmeExample('try-limits').split('\n');
      const onFree = shell(freeLoop!).trim().split(' ');
      // The two calls above took two tokens; the rest of the burst of 10 passes, then the rate.
      expect(onFree.slice(0, 8)).toEqual(Array(8).fill('200'));
      expect(onFree).toContain('429');
      expect(shell(proLoop!).trim().split(' ')).toEqual(Array(20).fill('200'));
    });

    it('throttles a sequential burst on the free key with the THROTTLED body, and not the same burst on the pro key', async () => {
      const burst = async (value: string) => {
        const answers: { status: number; body: string; id: string | null; retryAfter: string | null }[] = [];
        for (let i = 0; i < 25; i += 1) {
          const res = await call('/health', { headers: { 'x-api-key': value } });
          answers.push({ status: res.status, body: await res.text(), id: res.headers.get('x-amzn-requestid'), retryAfter: res.headers.get('retry-after') });
        }
        return answers;
      };
      const started = Date.now();
      const onFree = await burst(free());
      const seconds = (Date.now() - started) / 1000;
      const refused = onFree.filter((a) => a.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      // At most the burst plus what the rate refilled meanwhile got through.
      expect(onFree.filter((a) => a.status === 200).length).toBeLessThanOrEqual(10 + Math.ceil(5 * seconds));
      for (const a of refused) expect(a.body).toBe(rendered('THROTTLED', a.id!));
      // Every 429 says when to retry: the seconds to the bucket's next token (5/s: within 1 s).
      for (const a of refused) expect(a.retryAfter).toBe('1');
      expect(onFree.filter((a) => a.status === 200).every((a) => a.retryAfter === null)).toBe(true);
      expect((await burst(key)).map((a) => a.status)).toEqual(Array(25).fill(200));
    });

    it('answers a missing or unknown key with the INVALID_API_KEY body, an unknown route with MISSING_AUTHENTICATION_TOKEN\'s', async () => {
      for (const headers of [{}, { 'x-api-key': 'local-free-key-not-a-secreT' }] as Record<string, string>[]) {
        const res = await call('/models', { headers });
        expect(res.status).toBe(403);
        expect(await res.text()).toBe(rendered('INVALID_API_KEY', res.headers.get('x-amzn-requestid')!));
      }
      for (const [path, method] of [['/no/such/route', 'GET'], ['/predict', 'GET'], ['/health', 'DELETE']] as const) {
        const res = await call(path, { method, headers: { 'x-api-key': key } });
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(await res.text()).toBe(rendered('MISSING_AUTHENTICATION_TOKEN', res.headers.get('x-amzn-requestid')!));
      }
    });

    it('answers a CORS preflight from the template\'s mock integration, without a key', async () => {
      const res = await call('/models/churn/predict', { method: 'OPTIONS' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-methods')).toBe('OPTIONS,POST');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Api-Key/);
    });
  });
});

/** A GatewayResponse of the compiled local template, as API Gateway renders it for one request. */
function rendered(type: string, requestId: string): string {
  const found = resourcesOfType(template('local'), 'AWS::ApiGateway::GatewayResponse').find(([, g]) => g.Properties.ResponseType === type);
  if (!found) throw new Error(`no ${type} GatewayResponse in the local template`);
  return String(found[1].Properties.ResponseTemplates['application/json']).replaceAll('$context.requestId', requestId);
}

describe('the local API with a tiny quota and a reserved concurrency of 1 (set by --param)', () => {
  let local: LocalApi | undefined;

  beforeAll(async () => {
    local = await startCapturedLocalApi({ params: ['freeQuotaLimit=3', 'reservedConcurrency=1'] });
  }, 180_000);

  afterAll(async () => {
    if (local) await stopProcessGroup(local.child);
  });

  it('answers concurrency above the reservation as API Gateway answers a throttled function: 500, the INTEGRATION_FAILURE body naming the cause, Retry-After', async () => {
    // Four at once on a function with no warm worker: the first holds the one
    // slot through its cold start, the others arrive meanwhile.
    const headers = { 'x-api-key': local!.keys['ml-inference-local-pro']! };
    const answers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await fetch(`${local!.base}/v2/health/live`, { headers });
        return { status: res.status, body: await res.text(), id: res.headers.get('x-amzn-requestid')!, retryAfter: res.headers.get('retry-after') };
      }),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(3);
    for (const a of refused) {
      expect(a.status).toBe(500);
      expect(a.body).toBe(rendered('INTEGRATION_FAILURE', a.id));
      expect(JSON.parse(a.body)).toMatchObject({ code: 'function_unavailable', error: expect.stringMatching(/concurrency limit/) });
      expect(a.retryAfter).toBe('1');
    }
    // Once the call in flight is done, the slot is free again.
    expect((await fetch(`${local!.base}/v2/health/live`, { headers })).status).toBe(200);
  });

  it('exhausts the free key\'s quota and answers with the QUOTA_EXCEEDED body', async () => {
    const headers = { 'x-api-key': local!.keys['ml-inference-local-free']! };
    const answers = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(`${local!.base}/v2/health/live`, { headers });
      answers.push({ status: res.status, body: await res.text(), id: res.headers.get('x-amzn-requestid')!, retryAfter: res.headers.get('retry-after') });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    for (const a of answers.slice(3)) expect(a.body).toBe(rendered('QUOTA_EXCEEDED', a.id));
    // Retry-After: the seconds until the quota's month ends (UTC), as this gateway counts it.
    const now = new Date();
    const untilNextMonth = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime()) / 1000;
    for (const a of answers.slice(3)) expect(Math.abs(Number(a.retryAfter) - untilNextMonth)).toBeLessThan(30);
    // The pro plan's quota is its own.
    expect((await fetch(`${local!.base}/v2/health/live`, { headers: { 'x-api-key': local!.keys['ml-inference-local-pro']! } })).status).toBe(200);
  });
});
