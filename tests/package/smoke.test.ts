import { execFile } from 'node:child_process';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { repoRoot } from '../helpers/models';
import { scratchModelsDir } from '../helpers/models-dir';

/**
 * npm run smoke (issue 28, README "CI/CD") against `npm start`: it passes on
 * the models as they are, and fails naming what broke when a model's golden
 * answer is edited in the served folder, when an endpoint does not ask for a
 * key, and when a golden answer the API shows differs from what the model
 * answers.
 */

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous: the proxies below live in this process and must answer while the smoke runs.
const smoke = (base: string, key: string) =>
  new Promise<Run>((resolve) => {
    execFile('npm', ['run', '-s', 'smoke', '--', '--url', base], { cwd: repoRoot, env: { ...process.env, SMOKE_API_KEY: key }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });

/** The check lines the smoke printed, by check name: PASS, FAIL or SKIP and the detail. */
const checks = (out: string) => Object.fromEntries([...out.matchAll(/^(PASS|FAIL|SKIP) {2}([^:]+): (.*)$/gm)].map((m) => [m[2]!, `${m[1]} ${m[3]}`]));

/**
 * A stand-in for a gateway in front of the local API, on 127.0.0.1: forwards
 * every request, adding the given key when the request has none (a stage
 * whose key check was removed), and passing /openapi.json through `rewrite`.
 */
async function proxy(target: string, { key, rewrite }: { key?: string; rewrite?: (document: Record<string, unknown>) => void }): Promise<{ server: Server; base: string }> {
  const origin = new URL(target).origin;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([n, v]) => n !== 'host' && n !== 'content-length' && typeof v === 'string')) as Record<string, string>;
        if (key && !headers['x-api-key']) headers['x-api-key'] = key;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(`${origin}${req.url}`, { method: req.method, headers, body });
        let text = Buffer.from(await answer.arrayBuffer());
        if (rewrite && req.url?.endsWith('/openapi.json')) {
          const document = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
          rewrite(document);
          text = Buffer.from(JSON.stringify(document));
        }
        const out: Record<string, string> = {};
        answer.headers.forEach((v, n) => {
          if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(n)) out[n] = v;
        });
        res.writeHead(answer.status, out).end(text);
      })().catch((error: Error) => res.writeHead(502).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}${new URL(target).pathname}` };
}

describe('npm run smoke against npm start', () => {
  let local: LocalApi | undefined;
  let dir: string;
  const servers: Server[] = [];
  const key = () => local!.keys['ml-inference-local-pro']!;

  beforeAll(async () => {
    // The served folder: a scratch copy of the bundled models (MODELS_DIR), which the last test edits.
    dir = scratchModelsDir(true);
    local = await startLocalApi({ settings: { MODELS_DIR: dir } });
  }, 180_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    if (local) await stopProcessGroup(local.child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check on the models as they are, each named, and exits 0', async () => {
    const run = await smoke(local!.base, key());
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const named = checks(run.stdout);
    expect(Object.keys(named).sort()).toEqual(['docs page', 'golden churn', 'golden intent', 'key required', 'models', 'openapi.json', 'ready churn', 'ready intent']);
    for (const [name, line] of Object.entries(named)) expect([name, line.slice(0, 4)]).toEqual([name, 'PASS']);
    expect(named['golden churn']).toMatch(/^PASS POST \/models\/churn\/predict with example churn-1\.0\.0-golden-1 gives the golden answer/);
    expect(named['key required']).toBe('PASS GET /models without a key: 403 invalid_api_key');
    expect(run.stdout).toMatch(/^smoke: OK \(8 passed, 0 failed, 0 skipped\)$/m);
  }, 60_000);

  it('exits 2 without SMOKE_API_KEY, saying so', async () => {
    const run = await smoke(local!.base, '');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SMOKE_API_KEY is not set');
  }, 30_000);

  it('fails the key check, naming it, on an endpoint that does not ask for a key', async () => {
    const open = await proxy(local!.base, { key: key() });
    servers.push(open.server);
    // Only what a request without a key meets differs: the rest passes through.
    const run = await smoke(open.base, key());
    expect(run.code).toBe(1);
    const named = checks(run.stdout);
    expect(named['key required']).toBe('FAIL GET /models without a key: 200, expected 403 invalid_api_key');
    expect(Object.entries(named).filter(([, line]) => line.startsWith('FAIL')).map(([name]) => name)).toEqual(['key required']);
    expect(run.stdout).toMatch(/^smoke: FAILED \(7 passed, 1 failed, 0 skipped\): key required$/m);
  }, 30_000);

  it("fails the golden check, naming the model, when the model answers otherwise than the golden answer the API shows", async () => {
    // What the comparison itself catches: a model that loads (its own golden cases pass) but answers otherwise than /openapi.json's example.
    const edited = await proxy(local!.base, {
      rewrite: (document) => {
        // as any: the OpenAPI document as parsed JSON, navigated to one known path.
        const examples = (document as any).paths['/models/churn/predict'].post.responses['200'].content['application/json'].examples;
        const answer = examples['churn-1.0.0-golden-1'].value;
        answer.churn_probability = Number((answer.churn_probability + 0.01).toFixed(7));
      },
    });
    servers.push(edited.server);
    const run = await smoke(edited.base, key());
    expect(run.code).toBe(1);
    const named = checks(run.stdout);
    expect(named['golden churn']).toMatch(/^FAIL POST \/models\/churn\/predict with example churn-1\.0\.0-golden-1 answers another answer than the golden one: \/churn_probability: recorded [0-9.]+, now [0-9.]+/);
    expect(named['ready churn']).toMatch(/^PASS/);
    expect(run.stdout).toMatch(/^smoke: FAILED \(7 passed, 1 failed, 0 skipped\): golden churn$/m);
  }, 30_000);

  it("fails, naming the model and why, when a golden answer is edited in the served folder's model.json", async () => {
    const file = path.join(dir, 'intent', '1.0.0', 'model.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const probabilities = manifest.golden.cases[0].answer.probabilities;
    probabilities.complaint = Number((probabilities.complaint - 0.1).toFixed(7));
    writeFileSync(file, JSON.stringify(manifest, null, 2));
    // A modification time unlike the last one's, as a later edit would have (WATCH_MODELS reads the folder at each request).
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    const run = await smoke(local!.base, key());
    expect(run.code).toBe(1);
    const named = checks(run.stdout);
    // The edited manifest fails its load self-test: not ready, and predict answers 503, each saying which golden case.
    expect(named['ready intent']).toMatch(/^FAIL GET \/v2\/models\/intent\/ready: 503, .*golden case 0 gives another answer/);
    expect(named['golden intent']).toMatch(/^FAIL POST \/models\/intent\/predict with example intent-1\.0\.0-golden-1: 503, .*golden case 0 gives another answer/);
    expect(named['ready churn']).toMatch(/^PASS/);
    expect(named['golden churn']).toMatch(/^PASS/);
    expect(run.stdout).toMatch(/^smoke: FAILED \(6 passed, 2 failed, 0 skipped\): ready intent; golden intent$/m);
  }, 30_000);
});
