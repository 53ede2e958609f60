import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { parityFixture, repoRoot } from '../helpers/models';

const cli = require.resolve('serverless/bin/serverless.js', { paths: [repoRoot] });
const fixture = parityFixture();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface Offline {
  child: ChildProcess;
  base: string;
  key: string;
  log: string[];
}

/** Starts serverless-offline in its own process group; resolves once it serves. */
async function startOffline(): Promise<Offline> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [cli, 'offline', 'start', '--stage', 'local', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
    { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    let key: string | undefined;
    const timer = setTimeout(() => reject(new Error(`serverless-offline not ready in 90 s:\n${log.join('')}`)), 90_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      log.push(text);
      key ??= /Key with token: '([^']+)'/.exec(text)?.[1];
      if (/Server ready:/.test(log.join(''))) {
        clearTimeout(timer);
        if (!key) reject(new Error('serverless-offline announced no API key'));
        else resolve({ child, base: `http://127.0.0.1:${httpPort}/local`, key, log });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless-offline exited with ${code}:\n${log.join('')}`));
    });
  });
}

/** Stops the whole process group (the CLI and any workers) and waits for it. */
async function stopOffline(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const killer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

describe('the local API Gateway (serverless-offline on 127.0.0.1)', () => {
  let offline: Offline | undefined;

  beforeAll(async () => {
    offline = await startOffline();
  }, 120_000);

  afterAll(async () => {
    if (offline) await stopOffline(offline.child);
  });

  const call = (path: string, init: RequestInit = {}) => fetch(`${offline!.base}${path}`, init);
  const post = (body: string, headers: Record<string, string>) => call('/predict', { method: 'POST', body, headers });
  const customer = fixture.cases[0]!;

  it('scores a customer with the key the server accepts', async () => {
    const res = await post(JSON.stringify(customer.input), { 'x-api-key': offline!.key, 'content-type': 'application/json' });
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
    expect(await res.json()).toMatchObject({ status: 'ok', model: { name: 'churn', version: fixture.version } });
    expect((await call('/health')).status).toBe(403);
  });

  it('answers malformed JSON with a 400 JSON error', async () => {
    const res = await post('{"tenure": ', { 'x-api-key': offline!.key, 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_json', message: 'request body is not valid JSON', details: [], request_id: expect.any(String) },
    });
  });
});
