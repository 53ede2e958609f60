import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parse as parseCsv } from 'csv-parse/sync';
import { DOCS_ASSETS } from '../../lib/protocols/openapi/docs-page';
import { openApiDocument } from '../../lib/protocols/openapi/document';
import { parityFixture, served } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

interface Result {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}
interface RunOutput {
  results: Result[];
  writes: { taskRoot: string; models: string; tmp: string };
  compiledSchemas: number;
  pid: number;
  managedInstancesTests: number;
}

const eventsDir = path.resolve(__dirname, '..', 'events');
const readEvent = (file: string) => JSON.parse(readFileSync(path.join(eventsDir, file), 'utf8')) as APIGatewayProxyEvent;
const fixture = parityFixture();
const SPLIT_CALLS = 200;
const SPLIT_VERSION = '99.0.0';
const isRoot = process.getuid?.() === 0;

/** chmod -R: directories r-x, files r--, so the package cannot be changed by its own process. */
function makeReadOnly(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) makeReadOnly(full);
    else chmodSync(full, 0o444);
  }
  chmodSync(dir, 0o555);
}

describe('the packaged zip, unzipped and run in plain Node as Lambda would', () => {
  let work: string;
  let output: RunOutput;
  /** The docs function's answers, from a process of its own (its own container). */
  let docsOutput: RunOutput;
  const predictTemplate = readEvent('predict.json');
  const healthEvent = readEvent('health.json');
  // Parity customers go to the version scikit-learn's outputs belong to; /predict serves the newest.
  const withBody = (body: unknown): APIGatewayProxyEvent => ({
    ...predictTemplate,
    resource: '/models/{name}/versions/{version}/predict',
    path: `/models/churn/versions/${fixture.version}/predict`,
    pathParameters: { name: 'churn', version: fixture.version },
    body: JSON.stringify(body),
  });
  const newest = served('churn').version;
  // The first three parity customers as a CSV body, asking for a CSV answer: csv-parse and csv-stringify sit beside the bundle (scripts/esbuild-plugins.js).
  const csvCustomers = fixture.cases.slice(0, 3);
  const csvColumns = Object.keys(csvCustomers[0]!.input);
  const csvCell = (value: unknown) => `"${String(value).replace(/"/g, '""')}"`;
  const csvEvent: APIGatewayProxyEvent = {
    ...withBody(null),
    headers: { ...predictTemplate.headers, 'content-type': 'text/csv', accept: 'text/csv' },
    body: [csvColumns.join(','), ...csvCustomers.map((c) => csvColumns.map((k) => csvCell(c.input[k])).join(','))].join('\r\n'),
  };

  // Calls, in order: health (cold), the committed events, every parity customer
  // in batches of at most 1000, then the first 20 one by one.
  const batches = [fixture.cases.slice(0, 1000), fixture.cases.slice(1000)];
  const singles = fixture.cases.slice(0, 20);
  const calls = [
    { fn: 'health', event: healthEvent },
    { fn: 'predict', event: predictTemplate },
    ...batches.map((batch) => ({ fn: 'predict', event: withBody({ instances: batch.map((c) => c.input) }) })),
    ...singles.map((c) => ({ fn: 'predict', event: withBody(c.input) })),
    { fn: 'predict', event: csvEvent },
    { fn: 'health', event: healthEvent },
    // Through a 50/50 split written into the unzipped copy (beforeAll): /predict, keyless.
    ...Array.from({ length: SPLIT_CALLS }, (_, i) => ({ fn: 'predict', event: { ...predictTemplate, body: JSON.stringify(fixture.cases[i]!.input) } })),
  ];
  // The docs routes, public: no key. API Gateway's requestContext.path carries the stage.
  const docsEvent = (resource: string, pathParameters: Record<string, string> | null = null): APIGatewayProxyEvent => {
    const path = resource.replace(/\{(\w+)\}/g, (_, key: string) => pathParameters![key]!);
    return { ...healthEvent, headers: {}, resource, path, pathParameters, requestContext: { ...healthEvent.requestContext, path: `/dev${path}`, stage: 'dev', resourcePath: resource } };
  };
  const docsCalls = [
    { fn: 'docs', event: docsEvent('/openapi.json') },
    { fn: 'docs', event: docsEvent('/docs') },
    ...DOCS_ASSETS.map((asset) => ({ fn: 'docs', event: docsEvent('/docs/{asset}', { asset }) })),
  ];

  /** When the runs began (ms since the epoch, as file times are). */
  let runStarted: number;
  /** The function's environment from the template, with what a Lambda container has besides. */
  let env: Record<string, string>;
  /** The runner over the unzipped copy, in a fresh process: as `nobody` when root. */
  let runner: (callsFile: string, extraEnv?: Record<string, string>) => SpawnSyncReturns<string>;
  /** Every function of ours the template deploys (not osls's custom resource), by its handler file's name. */
  const functionNames = resourcesOfType(template('dev'), 'AWS::Lambda::Function')
    .map(([, fn]) => /^handlers\/(.+)\.handler$/.exec(String(fn.Properties.Handler))?.[1])
    .filter((name): name is string => name !== undefined);

  beforeAll(() => {
    runStarted = Date.now();
    work = mkdtempSync(path.join(tmpdir(), 'zip-run-'));
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
    // A second churn version (the served one's files under another version) and a split over both.
    const churnDir = path.join(task, 'models', 'churn');
    cpSync(path.join(churnDir, newest), path.join(churnDir, SPLIT_VERSION), { recursive: true });
    const manifestFile = path.join(churnDir, SPLIT_VERSION, 'model.json');
    writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), version: SPLIT_VERSION }));
    writeFileSync(path.join(churnDir, 'traffic.json'), JSON.stringify({ labels: { stable: newest }, split: { [newest]: 50, [SPLIT_VERSION]: 50 } }));
    makeReadOnly(task);
    copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
    writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls));
    writeFileSync(path.join(work, 'docs-calls.json'), JSON.stringify(docsCalls));
    for (const fn of functionNames) writeFileSync(path.join(work, `init-${fn}.json`), JSON.stringify([{ fn, event: healthEvent }]));
    chmodSync(work, 0o755);
    chmodSync(path.join(work, 'runner.js'), 0o444);
    chmodSync(path.join(work, 'calls.json'), 0o444);
    chmodSync(path.join(work, 'docs-calls.json'), 0o444);

    // The function's own environment, as the compiled template sets it.
    const fn = resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction');
    const functionEnv = fn![1].Properties.Environment.Variables as Record<string, string>;
    env = { ...functionEnv, PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, NODE_ENV: 'production', HOME: '/tmp' };
    runner = (callsFile, extraEnv = {}) => {
      const node = [process.execPath, path.join(work, 'runner.js'), path.join(work, callsFile)];
      // Root may write anywhere, so as root the package runs as `nobody`.
      const [command, ...args] = isRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
      return spawnSync(command!, args, { cwd: tmpdir(), env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    };
    const run = (callsFile: string): RunOutput => {
      const { status, stdout, stderr } = runner(callsFile);
      if (status !== 0) throw new Error(`the runner exited with ${status}:\n${stderr}`);
      process.stdout.write(stdout); // the handlers' lines: captured, shown if a test fails
      const line = stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
      return JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as RunOutput;
    };
    output = run('calls.json');
    docsOutput = run('docs-calls.json');
  });

  afterAll(() => {
    if (work) {
      execFileSync('chmod', ['-R', 'u+w', work]);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('answers every call with 200', () => {
    expect(output.results.map((r) => r.statusCode)).toEqual(calls.map(() => 200));
  });

  it('scores through a traffic split: both versions answer, each named in the body and X-Model-Version', () => {
    const split = output.results.slice(-SPLIT_CALLS);
    const versions = split.map((r) => (JSON.parse(r.body) as { model: { version: string } }).model.version);
    split.forEach((r, i) => expect(r.headers['X-Model-Version']).toBe(versions[i]));
    const share = versions.filter((v) => v === SPLIT_VERSION).length / SPLIT_CALLS;
    // Binomial(200, 0.5): sd 0.035; ±5 sd.
    expect(share).toBeGreaterThan(0.5 - 0.18);
    expect(share).toBeLessThan(0.5 + 0.18);
  });

  it('reports a cold start on the first health call and a loaded model', () => {
    const first = JSON.parse(output.results[0]!.body);
    const last = JSON.parse(output.results.at(-1 - SPLIT_CALLS)!.body);
    expect(first).toMatchObject({ status: 'ok', cold_start: true, model: { name: 'churn', version: newest } });
    // The split's primary version (the first of two equal weights), and the file itself.
    expect(last).toMatchObject({ cold_start: false, model: { version: newest }, traffic: { split: { [newest]: 50, [SPLIT_VERSION]: 50 } } });
  });

  it('scores every parity customer within 1e-5 of scikit-learn, batched and one by one', () => {
    const batchResults = output.results.slice(2, 2 + batches.length);
    const scored = batchResults.flatMap((r) => JSON.parse(r.body).predictions as { churn_probability: number }[]);
    expect(scored).toHaveLength(fixture.cases.length);
    scored.forEach((p, i) => expect(Math.abs(p.churn_probability - fixture.cases[i]!.churn_probability)).toBeLessThan(1e-5));

    const singleResults = output.results.slice(2 + batches.length, 2 + batches.length + singles.length);
    singleResults.forEach((r, i) => {
      expect(Math.abs(JSON.parse(r.body).churn_probability - singles[i]!.churn_probability)).toBeLessThan(1e-5);
    });
  });

  it('answers a CSV body with a CSV answer, from the CSV libraries packaged beside the bundle', () => {
    const answer = output.results[2 + batches.length + singles.length]!;
    expect(answer.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseCsv(answer.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(csvCustomers.length);
    rows.forEach((row, i) => expect(Math.abs(Number(row.churn_probability) - csvCustomers[i]!.churn_probability)).toBeLessThan(1e-5));
  });

  it("asks Powertools' Lambda Managed Instances question once per bundle, not on every request (scripts/esbuild-plugins.js)", () => {
    // Two bundles (health, predict) over 200+ calls; unpatched, Powertools reads the variable ~45 times per request.
    expect(output.results.length).toBeGreaterThan(200);
    expect(output.managedInstancesTests).toBeGreaterThan(0);
    expect(output.managedInstancesTests).toBeLessThanOrEqual(2);
  });

  it('compiles no JSON schema at run time: every one it needs comes precompiled in the bundle', () => {
    // Compiling them was half of a cold start's JavaScript (BENCHMARKS.md); a model added after packaging would be compiled.
    expect(output.compiledSchemas).toBe(0);
  });

  it("starts no onnxruntime telemetry (ORT_DISABLE_TELEMETRY): its client's debug log is not written", () => {
    // With telemetry on, onnxruntime's first session creates /tmp/mat-debug-<pid>.log (and a store under $HOME).
    // One left by an earlier process that had the same pid is older than this run.
    const debugLog = path.join('/tmp', `mat-debug-${output.pid}.log`);
    expect(existsSync(debugLog) && statSync(debugLog).mtimeMs >= runStarted).toBe(false);
  });

  it('answers the committed predict event with a prediction', () => {
    const body = JSON.parse(output.results[1]!.body);
    // /predict goes through the 50/50 split written into this copy.
    expect(body).toEqual({ churn_probability: expect.any(Number), churn: body.churn_probability >= 0.5, model: { name: 'churn', version: expect.any(String) } });
    expect([newest, SPLIT_VERSION]).toContain(body.model.version);
  });

  it('serves the OpenAPI document, the docs page and every file of it from the zip', () => {
    expect(docsOutput.results.map((r) => r.statusCode)).toEqual(docsCalls.map(() => 200));
    const [document, page, ...assets] = docsOutput.results;
    // The document of what is deployed, under the stage the request came in on: the sources' own
    // routes, and the version written into this copy with a path of its own, served by the split.
    const fromZip = JSON.parse(document!.body) as { servers: unknown; paths: Record<string, { post?: { requestBody: unknown } }> };
    expect(fromZip.servers).toEqual([expect.objectContaining({ url: '/dev' })]);
    const fromSources = openApiDocument('/dev') as { paths: Record<string, unknown> };
    expect(Object.keys(fromZip.paths).sort()).toEqual([...Object.keys(fromSources.paths), `/models/churn/versions/${SPLIT_VERSION}/predict`].sort());
    expect(JSON.stringify(fromZip.paths['/models/churn/predict']!.post!.requestBody)).toContain(`churn.${SPLIT_VERSION}.request`);
    expect(page!.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page!.body).toContain('<script src="/dev/docs/swagger-ui-bundle.js">');
    expect(page!.headers['Content-Security-Policy']).toContain("script-src 'self'");
    assets.forEach((asset, i) => {
      expect(asset.body.length).toBeGreaterThan(100);
      expect(asset.headers['content-type']).toMatch(DOCS_ASSETS[i]!.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    });
  });

  it.each(functionNames)('%s fails its init when MAX_BODY_BYTES is -1, naming the variable, and serves nothing with a default', (fn) => {
    expect(env.MAX_BODY_BYTES).toBe('4194304'); // the template's, overridden here
    const { status, stdout } = runner(`init-${fn}.json`, { MAX_BODY_BYTES: '-1' });
    const message = 'MAX_BODY_BYTES is "-1": expected an integer from 1 to 4620288';
    const line = stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-INIT-ERROR '));
    expect(line && JSON.parse(line.slice('ZIP-RUNNER-INIT-ERROR '.length))).toEqual({ fn, errorType: 'SettingsError', errorMessage: message, stack: `SettingsError: ${message}` });
    expect(stdout).not.toContain('ZIP-RUNNER-RESULT');
    expect(status).toBe(1);
  });

  it(`cannot write outside /tmp (run ${isRoot ? 'as nobody' : 'as this user'} over a read-only copy)`, () => {
    expect(['EACCES', 'EROFS', 'EPERM']).toContain(output.writes.taskRoot);
    expect(['EACCES', 'EROFS', 'EPERM']).toContain(output.writes.models);
    expect(output.writes.tmp).toBe('ok');
  });
});
