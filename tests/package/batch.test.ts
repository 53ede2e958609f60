import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import S3rver from 's3rver';
import aslValidator from 'asl-validator';
import { lambdaLogicalId, steps } from '../../lib/http/routes';
import { stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { callWithKey, startCapturedLocalApi } from '../helpers/local-api';
import { forgetRepository } from '../../lib/repository/model-repository';
import { addModel } from '../../scripts/model-add/main';
import { repoRoot } from '../helpers/models';
import { score } from '../helpers/score-cli';
import { changeSettings } from '../helpers/settings';
import type { Job, Plan, Range, Summary } from '../../lib/batch-jobs/job';
import { freshHandlers } from '../helpers/handlers';
import { invokeText } from '../helpers/lambda';
import { route } from '../helpers/routes';
import { telcoHead, telcoText } from '../helpers/telco';
import { resolvedService, routesOf, template, type Resource } from './artifacts';
import { zipPath } from './zip';

/**
 * Batch jobs as packaged (README, "Batch scoring"; resources/batch.js): the
 * compiled state machine, roles and functions of dev and prod; the job
 * routes behind the key on `npm start`; then the steps as they run deployed.
 *
 * The batch state machine's steps as they run deployed:
 * handlers/batch.js from dev's packaged zip, unzipped and run in plain Node,
 * against a real S3 API (s3rver, from npm, on 127.0.0.1, behind a proxy here
 * that records each request). Step Functions cannot run here, so this test
 * plays its part from the compiled definition: each step's payload is built
 * from the template's Parameters (their JSONPaths evaluated on the state),
 * ItemReader's items read from the plan's ranges.json, batched by
 * ItemBatcher's MaxItemsPerBatch with its BatchInput, and the ResultWriter's
 * manifest.json and SUCCEEDED_/FAILED_ files written in the format AWS
 * documents. Everything else is the zip's code: the plan, the scoring of
 * each range read by a Range GET, the parts, the ordered output, the ledger.
 * The expected answers are the predict route's, row by row.
 */

const BUCKET = 'ml-inference-dev-batchbucket-0123456789ab';
const exec = promisify(execFile);
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation and ASL are free-form JSON

const resources = template('dev').Resources;
const fn = resources[lambdaLogicalId('batch')] as Resource;
const definition = resources.BatchStateMachine!.Properties.Definition as Json;
const map = definition.States.Score;

/** Every statement of a role as "action on resource" lines (conditions appended), resources as the template writes them. */
function grants(role: Resource): string[] {
  const text = (value: Json): string => (typeof value === 'string' ? value : value['Fn::Sub'] ?? (value['Fn::GetAtt'] ? `\${${(value['Fn::GetAtt'] as string[]).join('.')}}` : JSON.stringify(value)));
  const list = (value: Json): Json[] => (Array.isArray(value) ? value : [value]);
  return (role.Properties.Policies as { PolicyDocument: { Statement: Json[] } }[])
    .flatMap((p) => p.PolicyDocument.Statement)
    .flatMap((st) => {
      expect(st.Effect).toBe('Allow');
      return list(st.Action).flatMap((action: string) => list(st.Resource).map((r) => `${action} on ${text(r)}${st.Condition ? ` if ${JSON.stringify(st.Condition)}` : ''}`));
    })
    .sort();
}

describe.each(['dev', 'prod'])('the packaged %s template', (stage) => {
  const r = template(stage).Resources;
  const params = (resolvedService(stage) as unknown as { initialServerlessConfig: { params: { default: Record<string, number> } } }).initialServerlessConfig.params.default;
  const machine = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:ml-inference-${stage}-batch`;
  const executions = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:ml-inference-${stage}-batch:*`;

  it("carries the state machine: valid Amazon States Language once its substitution is made, the params' Distributed Map settings", () => {
    const sm = r.BatchStateMachine!;
    expect(sm.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(sm.Properties).toMatchObject({ StateMachineName: `ml-inference-${stage}-batch`, StateMachineType: 'STANDARD', RoleArn: { 'Fn::GetAtt': ['BatchStateMachineRole', 'Arn'] } });
    expect(sm.Properties.DefinitionSubstitutions).toEqual({ BatchFunctionArn: { 'Fn::GetAtt': [lambdaLogicalId('batch'), 'Arn'] } });
    const concrete = JSON.parse(JSON.stringify(sm.Properties.Definition).replaceAll('${BatchFunctionArn}', `arn:aws:lambda:us-east-1:123456789012:function:ml-inference-${stage}-batch`));
    const { isValid, errorsText } = aslValidator(concrete);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
    const scoring = concrete.States.Score;
    expect(scoring.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
    expect([scoring.ItemBatcher.MaxItemsPerBatch, scoring.MaxConcurrency, scoring.ToleratedFailurePercentage]).toEqual([params.batchRangesPerBatch, params.batchMaxConcurrency, params.batchToleratedFailurePercent]);
    expect(Object.keys(scoring)).toEqual(expect.arrayContaining(['ItemReader', 'ItemBatcher', 'ResultWriter']));
  });

  it('gives the job routes, the steps and the state machine their own least-privilege roles: the batch prefixes, the ledger, this state machine', () => {
    const data = '${BatchBucket.Arn}/jobs/*';
    const usage = ' if {"StringLike":{"s3:prefix":["usage/*"]}}';
    const logs = (fn: string) => [`logs:CreateLogStream on \${${lambdaLogicalId(fn).replace(/LambdaFunction$/, 'LogGroup')}.Arn}`, `logs:PutLogEvents on \${${lambdaLogicalId(fn).replace(/LambdaFunction$/, 'LogGroup')}.Arn}`, 'xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
    expect(grants(r.BatchJobsFunctionRole!)).toEqual(
      [...logs('batch-jobs'), `states:StartExecution on ${machine}`, `states:DescribeExecution on ${executions}`, 'apigateway:GET on arn:${AWS::Partition}:apigateway:${AWS::Region}::/usageplans', `s3:ListBucket on \${BatchBucket.Arn}${usage}`].sort(),
    );
    expect(grants(r.BatchFunctionRole!)).toEqual(
      [...logs('batch'), `s3:GetObject on ${data}`, `s3:PutObject on ${data}`, `s3:AbortMultipartUpload on ${data}`, 's3:PutObject on ${BatchBucket.Arn}/usage/*', `s3:ListBucket on \${BatchBucket.Arn}${usage}`,
        // Listing a prefix of pictures: its bucket, keys under the prefix only.
        's3:ListBucket on ${BatchBucket.Arn} if {"StringLike":{"s3:prefix":["jobs/*"]}}'].sort(),
    );
    expect(grants(r.BatchStateMachineRole!)).toEqual(
      [
        `lambda:InvokeFunction on \${${lambdaLogicalId('batch')}.Arn}`,
        `lambda:InvokeFunction on \${${lambdaLogicalId('batch')}.Arn}:*`,
        `s3:GetObject on ${data}`,
        `s3:PutObject on ${data}`,
        `s3:AbortMultipartUpload on ${data}`,
        `s3:ListMultipartUploadParts on ${data}`,
        `states:StartExecution on ${machine}`,
        `states:DescribeExecution on ${executions}`,
        `states:StopExecution on ${executions}`,
      ].sort(),
    );
    expect(r.BatchStateMachineRole!.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({ Principal: { Service: 'states.amazonaws.com' } })]);
    // The batch bucket: private, encrypted, TLS only, its ledger expiring.
    expect(r.BatchBucket!.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(r.BatchBucket!.Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ Prefix: 'usage/', ExpirationInDays: 2 }));
  });

  it('runs the routes and the steps as their own functions, the routes behind the key', () => {
    const routes = routesOf(template(stage)).filter((x) => x.route.includes('batch-jobs'));
    expect(routes.map(({ route: path, keyed }) => ({ path, keyed })).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'GET /models/{name}/batch-jobs/{id}', keyed: true },
      { path: 'POST /models/{name}/batch-jobs', keyed: true },
    ]);
    expect(r[lambdaLogicalId('batch-jobs')]!.Properties.Role).toEqual({ 'Fn::GetAtt': ['BatchJobsFunctionRole', 'Arn'] });
    const stepsFn = r[lambdaLogicalId('batch')]!.Properties;
    expect({ role: stepsFn.Role, timeout: stepsFn.Timeout, memory: stepsFn.MemorySize, reserved: stepsFn.ReservedConcurrentExecutions }).toEqual({
      role: { 'Fn::GetAtt': ['BatchFunctionRole', 'Arn'] },
      timeout: steps.batch.timeout,
      memory: steps.batch.memorySize,
      reserved: params.batchReservedConcurrency,
    });
  });
});

describe('the job routes on npm start (no state machine there)', () => {
  let api: LocalApi | undefined;
  beforeAll(async () => {
    api = await startCapturedLocalApi({ settings: { BATCH_PREFIXES: 's3://acme-data/batch/' } });
  }, 120_000);
  afterAll(async () => {
    if (api) await stopProcessGroup(api.child);
  });

  it('refuses them without a key (403), checks the body with one (400 for a location outside BATCH_PREFIXES), and answers 503 for a job it cannot start', async () => {
    const key = api!.keys['ml-inference-local-free']!;
    const body = JSON.stringify({ input: 's3://acme-data/batch/in.csv', output: 's3://acme-data/batch/out/' });
    for (const [method, route] of [['POST', '/models/churn/batch-jobs'], ['GET', '/models/churn/batch-jobs/7d0c3f9e-1111-4222-8333-444455556666']] as const) {
      const bare = await fetch(`${api!.base}${route}`, { method, ...(method === 'POST' ? { body, headers: { 'content-type': 'application/json' } } : {}) });
      expect({ route, status: bare.status, code: ((await bare.json()) as { code: string }).code }).toEqual({ route, status: 403, code: 'invalid_api_key' });
    }
    const outside = await callWithKey(api!.base, key, '/models/churn/batch-jobs', { method: 'POST', body: JSON.stringify({ input: 's3://acme-data/private/in.csv', output: 's3://acme-data/batch/out/' }) });
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { details: unknown }).details).toEqual([{ path: '/input', problem: expect.stringContaining('is outside the batch prefixes') }]);
    const start = await callWithKey(api!.base, key, '/models/churn/batch-jobs', { method: 'POST', body });
    expect(start.status).toBe(503);
    expect(((await start.json()) as { code: string }).code).toBe('batch_jobs_unavailable');
  });
});

/** CloudFormation's Ref, Fn::Sub and Fn::Join, for the few the batch function's environment holds (the stack's bucket). */
function resolveCfn(value: Json): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value.Ref === 'BatchBucket') return BUCKET;
  if (value['Fn::Sub'] !== undefined) return String(value['Fn::Sub']).replace('${BatchBucket}', BUCKET);
  if (value['Fn::Join'] !== undefined) return (value['Fn::Join'][1] as Json[]).map(resolveCfn).join(value['Fn::Join'][0]);
  throw new Error(`not resolved here: ${JSON.stringify(value)}`);
}

/** ASL's Parameters with their "key.$" JSONPaths ($.a.b) evaluated on a state, as Step Functions does. */
function payloadOf(parameters: Json, state: Json): Json {
  if (typeof parameters !== 'object' || parameters === null) return parameters;
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) =>
      key.endsWith('.$') ? [key.slice(0, -2), String(value).slice(2).split('.').filter(Boolean).reduce((at: Json, part) => at?.[part], state)] : [key, payloadOf(value, state)],
    ),
  );
}

let task: string;
let s3: S3rver;
let proxy: Server;
let endpoint: string;
/** Every request the steps sent to S3: method, key and Range header. */
const requests: { method: string; path: string; range?: string }[] = [];

beforeAll(async () => {
  task = mkdtempSync(path.join(tmpdir(), 'batch-task-'));
  execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
  const dir = mkdtempSync(path.join(tmpdir(), 's3rver-steps-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = (await s3.run()) as unknown as { port: number };
  proxy = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method!, path: decodeURIComponent(incoming.url!.split('?')[0]!), ...(incoming.headers.range ? { range: String(incoming.headers.range) } : {}) });
    const forward = httpRequest({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await s3.close();
  rmSync(task, { recursive: true, force: true });
});

/** One invocation of handlers/batch.js from the unzipped zip in a fresh Node process, with the function's environment from the template. */
async function step(event: Json, env: Record<string, string> = {}): Promise<{ result?: Json; error?: { errorType: string; errorMessage: string } }> {
  const variables = Object.fromEntries(Object.entries(fn.Properties.Environment.Variables as Record<string, Json>).map(([k, v]) => [k, resolveCfn(v)]));
  const file = path.join(task, `event-${Date.now()}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(event));
  const script = `require(${JSON.stringify(path.join(task, 'handlers/batch.js'))}).handler(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'))).then((r) => console.log('STEP-RESULT ' + JSON.stringify(r)), (e) => console.log('STEP-ERROR ' + JSON.stringify({ errorType: e.name, errorMessage: e.message })))`;
  const { stdout } = await exec(process.execPath, ['-e', script, file], {
    cwd: tmpdir(),
    env: {
      ...variables,
      ...env,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: '/tmp',
      LAMBDA_TASK_ROOT: task,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('STEP-RESULT ') || l.startsWith('STEP-ERROR '));
  if (!line) throw new Error(`no result from the step: ${stdout.slice(-2000)}`);
  return line.startsWith('STEP-RESULT ') ? { result: JSON.parse(line.slice('STEP-RESULT '.length)) } : { error: JSON.parse(line.slice('STEP-ERROR '.length)) };
}

async function put(key: string, body: string | Buffer): Promise<void> {
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function get(key: string): Promise<string> {
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, responseChecksumValidation: 'WHEN_REQUIRED' });
  return (await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('utf8'))!;
}

const jobOf = (id: string, input: string, format: 'csv' | 'jsonl', model: Job['model'], recordLimit = 100_000, owner = 'ezxn4zchmr'): Job => ({
  id,
  owner,
  model,
  input: { bucket: BUCKET, key: input },
  output: { bucket: BUCKET, key: `jobs/out/${id}/` },
  format,
  recordLimit,
  day: '2026-12-04',
});

/**
 * One execution, Step Functions' part played from the compiled definition:
 * Plan, the Distributed Map (the batches whose indexes are in `failing` are
 * reported FAILED by the ResultWriter instead of run), Finish.
 */
interface Execution {
  plan: Plan;
  /** ranges.json as ItemReader read it. */
  items: Range[];
  /** Each scoring run's payload. */
  inputs: Json[];
  summary: Summary;
  error?: { errorType: string; errorMessage: string };
}

async function execute(job: Job, env: Record<string, string>, failing: number[] = []): Promise<Execution> {
  let state: Json = { job };
  const planned = await step(payloadOf(definition.States.Plan.Parameters.Payload, state), env);
  // A plan that fails ends the execution there (the step's error is the execution's): nothing else to report.
  if (planned.error) return { error: planned.error } as Execution;
  state = { ...state, plan: payloadOf(definition.States.Plan.ResultSelector, { Payload: planned.result }) };
  // The Choice after it: a refused job goes to the Fail state, whose ErrorPath and CausePath are the execution's error and cause.
  const choice = definition.States[definition.States.Plan.Next];
  const refusedAt = payloadOf({ 'refused.$': choice.Choices[0].Variable }, state).refused;
  if (refusedAt !== undefined) {
    const fail = definition.States[choice.Choices[0].Next];
    const ended = payloadOf({ 'errorType.$': fail.ErrorPath, 'errorMessage.$': fail.CausePath }, state);
    return { error: ended } as Execution;
  }
  const reader = payloadOf(map.ItemReader.Parameters, state);
  const items = JSON.parse(await get(reader.Key)) as Range[];
  const size = map.ItemBatcher.MaxItemsPerBatch as number;
  const batches = Array.from({ length: Math.ceil(items.length / size) }, (_, i) => ({ BatchInput: payloadOf(map.ItemBatcher.BatchInput, state), Items: items.slice(i * size, (i + 1) * size) }));
  const inputs: Json[] = [];
  const runs: { Input: string; Output?: string; Status: string; Name: string }[] = [];
  // In reverse: the runs finish in any order, the output is still the input's.
  for (const [i, batch] of [...batches.entries()].reverse()) {
    const payload = payloadOf(map.ItemProcessor.States.ScoreRanges.Parameters.Payload, batch);
    inputs.push(payload);
    if (failing.includes(i)) {
      runs.push({ Input: JSON.stringify(batch), Status: 'FAILED', Name: `run-${i}` });
      continue;
    }
    const scored = await step(payload, env);
    expect(scored.error).toBeUndefined();
    runs.push({ Input: JSON.stringify(batch), Output: JSON.stringify(scored.result), Status: 'SUCCEEDED', Name: `run-${i}` });
  }
  // The ResultWriter's files, as Step Functions writes them under its prefix and a Map Run id.
  const writer = payloadOf(map.ResultWriter.Parameters, state);
  const folder = `${writer.Prefix}0f1e2d3c-map-run/`;
  const files = { SUCCEEDED: [] as { Key: string; Size: number }[], FAILED: [] as { Key: string; Size: number }[], PENDING: [] };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const body = JSON.stringify(runs.filter((r) => r.Status === status));
    if (body === '[]') continue;
    await put(`${folder}${status}_0.json`, body);
    files[status].push({ Key: `${folder}${status}_0.json`, Size: body.length });
  }
  await put(`${folder}manifest.json`, JSON.stringify({ DestinationBucket: writer.Bucket, MapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:ml-inference-dev-batch/0f1e2d3c', ResultFiles: files }));
  state = { ...state, results: { ResultWriterDetails: { Bucket: writer.Bucket, Key: `${folder}manifest.json` } } };
  const finished = await step(payloadOf(definition.States.Finish.Parameters.Payload, state), env);
  const summary = payloadOf(definition.States.Finish.ResultSelector, { Payload: finished.result }).value as Summary;
  return { plan: state.plan.value as Plan, items, inputs, summary, error: finished.error };
}

/** The predict route's answer for one CSV row (the header and that line), in-process from the sources. */
const predict = freshHandlers().predict;
async function routeAnswer(header: string, line: string): Promise<Json> {
  const reply = await invokeText(predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), headers: { 'content-type': 'text/csv', accept: 'application/json' }, body: `${header}\n${line}\n` });
  const body = JSON.parse(reply.body) as Json;
  // A CSV body is a table: its answer is {predictions: [one]}.
  return { status: reply.status, ...(reply.status === 200 ? body.predictions[0] : body) };
}

describe('the batch steps from the packaged zip, on s3rver, Step Functions played from the compiled definition', () => {
  it('score the 7,043 Telco customers into one CSV in their order, row for row the predict route\'s answers, each range read by a Range GET', async () => {
    await put('jobs/in/telco.csv', telcoText);
    const job = jobOf('11111111-2222-4333-8444-555555555555', 'jobs/in/telco.csv', 'csv', { name: 'churn', version: '1.0.0' });
    requests.splice(0);
    const run = await execute(job, { BATCH_RANGE_BYTES: String(64 * 1024) });
    expect(run.error).toBeUndefined();
    expect(run.plan.records).toBe(7043);
    expect(run.plan.header).toEqual(telcoText.split('\n')[0]!.trim().split(','));
    // ~955 KB in ranges of about 64 KiB, each starting where the last ended, on a row.
    expect(run.items.length).toBeGreaterThan(10);
    expect(run.items[0]!.start).toBe(Buffer.byteLength(telcoText.split('\n')[0]!) + 1);
    for (const [i, r] of run.items.entries()) {
      if (i > 0) expect(r.start).toBe(run.items[i - 1]!.end);
      expect(r.range).toBe(i);
    }
    expect(run.items.at(-1)!.end).toBe(Buffer.byteLength(telcoText));
    expect(run.items.reduce((n, r) => n + r.rows, 0)).toBe(7043);
    // The Distributed Map's input holds ranges, never rows.
    for (const input of run.inputs) expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(8 * 1024);
    // Each range was read by its own byte range.
    const ranged = requests.filter((r) => r.method === 'GET' && r.path === `/${BUCKET}/jobs/in/telco.csv` && r.range !== undefined).map((r) => r.range).sort();
    expect(ranged).toEqual(run.items.map((r) => `bytes=${r.start}-${r.end - 1}`).sort());

    expect(run.summary).toEqual({ records: 7043, scored: expect.any(Number), errors: expect.any(Number), errorsByCode: expect.any(Object), failedRanges: [], output: { bucket: BUCKET, key: `jobs/out/${job.id}/scores.csv` } });
    expect(run.summary.scored + run.summary.errors).toBe(7043);
    const rows = parse(await get(`jobs/out/${job.id}/scores.csv`), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(['line', 'churn_probability', 'churn', 'warnings', 'error']);
    expect(rows.map((r) => Number(r.line))).toEqual(Array.from({ length: 7043 }, (_, i) => i + 2));
    const lines = telcoText.split('\n');
    let errors = 0;
    for (const [i, row] of rows.entries()) {
      const answer = await routeAnswer(lines[0]!, lines[i + 1]!.replace(/\r$/, ''));
      if (answer.status === 200) {
        expect({ line: row.line, p: Number(row.churn_probability), churn: row.churn, error: row.error }).toEqual({ line: row.line, p: answer.churn_probability, churn: String(answer.churn), error: '' });
      } else {
        errors += 1;
        expect({ line: row.line, code: (JSON.parse(row.error!) as { code: string }).code, p: row.churn_probability }).toEqual({ line: row.line, code: answer.code, p: '' });
      }
    }
    expect(run.summary.errors).toBe(errors);
    expect(JSON.parse(await get(`jobs/out/${job.id}/summary.json`))).toEqual(run.summary);
    // The ledger: the job's records counted on its day.
    expect(requests.some((r) => r.method === 'PUT' && r.path === `/${BUCKET}/usage/ezxn4zchmr/2026-12-04/${job.id}.7043`)).toBe(true);
  }, 600_000);

  it('report each bad row with its line and code, score every good row before a quote left open, and leave out the rows of a failed batch, naming its ranges', async () => {
    const head = telcoHead(100).split('\n');
    // The Telco rows hold no quoted commas: a value by its column.
    const tenureAt = head[0]!.split(',').indexOf('tenure');
    const badTenure = head[3]!.split(',').map((value, j) => (j === tenureAt ? 'abc' : value)).join(',');
    const input = [
      ...head.slice(0, 3), // header, lines 2-3
      '', // line 4: blank
      badTenure, // line 5: tenure is not a number
      'only,three,values', // line 6: too few columns
      ...head.slice(4, 95), // lines 7-97
      head[95]!.replace(/,Yes\r?$|,No\r?$/, ',"never closed'), // line 98: opens a quote
      ...head.slice(96, 100), // swallowed
    ].join('\n');
    await put('jobs/in/bad.csv', input);
    const job = jobOf('22222222-2222-4333-8444-555555555555', 'jobs/in/bad.csv', 'csv', { name: 'churn', version: '1.0.0' });
    const run = await execute(job, { BATCH_RANGE_BYTES: '1024' });
    expect(run.error).toBeUndefined();
    // More than two batches of ranges, so that one can fail below.
    expect(run.items.length).toBeGreaterThan(2 * (map.ItemBatcher.MaxItemsPerBatch as number));
    const rows = parse(await get(`jobs/out/${job.id}/scores.csv`), { columns: true }) as Record<string, string>[];
    const errorOf = (line: number) => JSON.parse(rows.find((r) => r.line === String(line))!.error!) as { code: string; message: string; details?: { path: string }[] };
    expect(errorOf(4).code).toBe('invalid_csv');
    expect(errorOf(5)).toMatchObject({ code: 'validation_failed', details: [expect.objectContaining({ path: '/tenure' })] });
    expect(errorOf(6).code).toBe('invalid_csv');
    expect(errorOf(98)).toMatchObject({ code: 'invalid_csv', message: expect.stringContaining('line 98 opens a quote that is never closed: lines 98 to 102') });
    expect(rows.map((r) => Number(r.line))).toEqual(Array.from({ length: 97 }, (_, i) => i + 2));
    expect(rows.filter((r) => r.error === '' && r.churn_probability !== '')).toHaveLength(93);
    expect(run.summary).toMatchObject({ records: 97, scored: 93, errors: 4, errorsByCode: { invalid_csv: 3, validation_failed: 1 }, failedRanges: [] });

    // The same file with its second batch failed (beyond Step Functions' retries): its rows are missing, its ranges named.
    const failed = jobOf('33333333-2222-4333-8444-555555555555', 'jobs/in/bad.csv', 'csv', { name: 'churn', version: '1.0.0' });
    const partial = await execute(failed, { BATCH_RANGE_BYTES: '1024' }, [1]);
    const size = map.ItemBatcher.MaxItemsPerBatch as number;
    const lost = run.items.slice(size, 2 * size);
    expect(partial.summary.failedRanges).toEqual(lost.map(({ range, line, rows: count }) => ({ range, line, rows: count })));
    const kept = parse(await get(`jobs/out/${failed.id}/scores.csv`), { columns: true }) as Record<string, string>[];
    expect(kept).toEqual(rows.filter((r) => !lost.some((l: Range) => rangeOfLine(run.items, Number(r.line)) === l.range)));
    expect(kept.length).toBeLessThan(rows.length);
  }, 300_000);

  it('score JSON lines for intent in their order, a bad line reported', async () => {
    const messages = ['hello there', 'where is my order?', 'this is the worst service ever', 'thank you so much'];
    const input = `${messages.map((text) => JSON.stringify({ text })).join('\n')}\n{"text": \n${JSON.stringify({ text: 'good morning' })}\n`;
    await put('jobs/in/messages.jsonl', input);
    const job = jobOf('44444444-2222-4333-8444-555555555555', 'jobs/in/messages.jsonl', 'jsonl', { name: 'intent', version: '1.0.0' });
    const run = await execute(job, { BATCH_RANGE_BYTES: '1024' });
    expect(run.summary).toMatchObject({ records: 6, scored: 5, errors: 1, errorsByCode: { invalid_json: 1 } });
    const lines = (await get(`jobs/out/${job.id}/scores.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines[4].error.code).toBe('invalid_json');
    const intents = freshHandlers().predict;
    for (const [i, text] of [...messages, 'good morning'].entries()) {
      const reply = await invokeText(intents, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), body: JSON.stringify({ text }) });
      const answer = JSON.parse(reply.body) as Json;
      const row = lines[i < 4 ? i : 5];
      expect({ intent: row.intent, probabilities: row.probabilities }).toEqual({ intent: answer.intent, probabilities: answer.probabilities });
    }
  }, 300_000);

  it('score a prefix of pictures for an image model added after packaging: one row per picture in key order, as `npm run score` scores the same folder, the listing read by ranges', async () => {
    // The shapes classifier (tests/fixtures/images), added by model:add to a models folder the zip was not packaged with.
    const models = mkdtempSync(path.join(tmpdir(), 'batch-models-'));
    const images = path.join(repoRoot, 'tests', 'fixtures', 'images');
    const pictures = mkdtempSync(path.join(tmpdir(), 'batch-pictures-'));
    const restore = changeSettings({ MODELS_DIR: models });
    try {
      forgetRepository();
      await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
      const files: [string, Buffer][] = [
        ['circle.jpg', readFileSync(path.join(images, 'circle.jpg'))],
        ['square.png', readFileSync(path.join(images, 'square.png'))],
        ['triangle.webp', readFileSync(path.join(images, 'triangle.webp'))],
        ['stripes.jpg', readFileSync(path.join(images, 'stripes.jpg'))],
        ['broken.jpg', readFileSync(path.join(images, 'truncated.jpg'))],
        ['notes.txt', Buffer.from('pictures of shapes\n')],
        ...Array.from({ length: 6 }, (_, i) => [`more-${i}.png`, readFileSync(path.join(images, 'square.png'))] as [string, Buffer]),
      ];
      for (const [name, bytes] of files) {
        writeFileSync(path.join(pictures, name), bytes);
        await put(`jobs/in/pictures/${name}`, bytes);
      }
      // Listed, not scored: the prefix's own "folder" object, a hidden file, a "subfolder".
      await put('jobs/in/pictures/', '');
      await put('jobs/in/pictures/.DS_Store', 'x');
      await put('jobs/in/pictures/older/circle.jpg', files[0]![1]);

      const job: Job = { ...jobOf('66666666-2222-4333-8444-555555555555', 'jobs/in/pictures/', 'jsonl', { name: 'shapes', version: '1.0.0' }), source: 'images' };
      requests.splice(0);
      // Ranges of about 2 KiB of pictures: a few pictures each, so that the batches split the prefix.
      const run = await execute(job, { MODELS_DIR: models, BATCH_RANGE_BYTES: '2048' });
      expect(run.error).toBeUndefined();
      expect(run.plan).toMatchObject({ header: null, records: files.length, skipped: { folders: 1, hidden: 1 } });
      expect(run.items.length).toBeGreaterThan(map.ItemBatcher.MaxItemsPerBatch as number);
      expect(run.items.reduce((n, r) => n + r.rows, 0)).toBe(files.length);
      for (const input of run.inputs) expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(8 * 1024);
      // The plan listed the prefix only; each scoring run read its range of the listing, then its pictures.
      expect(requests.filter((r) => r.method === 'GET' && r.path.replace(/\/$/, '') === `/${BUCKET}`).length).toBeGreaterThan(0);
      const listing = requests.filter((r) => r.method === 'GET' && r.path === `/${BUCKET}/jobs/out/${job.id}/files.jsonl`).map((r) => r.range).sort();
      expect(listing).toEqual(run.items.map((r) => `bytes=${r.start}-${r.end - 1}`).sort());
      expect(requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/${BUCKET}/jobs/in/pictures/`)).map((r) => r.path.split('/').pop()).sort()).toEqual(
        // Every picture read once, but the text file (refused by its name before it is read); nothing past the prefix.
        files.map(([name]) => name).filter((name) => name !== 'notes.txt').sort(),
      );

      const rows = (await get(`jobs/out/${job.id}/scores.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as Json);
      const order = files.map(([name]) => name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(rows.map((r) => r.file)).toEqual(order);
      // What the local scorer writes for the same pictures in a folder (tests/batch-images.test.ts ties that to the predict route).
      const out = `${pictures}.jsonl`;
      const local = await score(pictures, '--model', 'shapes', '--out', out);
      expect(local.code).toBe(0);
      const expected = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Json);
      expect(rows).toEqual(expected);
      expect(rows.find((r) => r.file === 'circle.jpg').label).toBe('circle');
      expect(rows.find((r) => r.file === 'broken.jpg').error.code).toBe('invalid_image');
      expect(run.summary).toEqual({
        records: files.length,
        scored: files.length - 2,
        errors: 2,
        errorsByCode: { invalid_image: 1, unsupported_media_type: 1 },
        failedRanges: [],
        output: { bucket: BUCKET, key: `jobs/out/${job.id}/scores.jsonl` },
        skipped: { folders: 1, hidden: 1 },
      });
      expect(requests.some((r) => r.method === 'PUT' && r.path === `/${BUCKET}/usage/ezxn4zchmr/2026-12-04/${job.id}.${files.length}`)).toBe(true);
    } finally {
      restore();
      forgetRepository();
      rmSync(models, { recursive: true, force: true });
      rmSync(pictures, { recursive: true, force: true });
      rmSync(`${pictures}.jsonl`, { force: true });
    }
  }, 300_000);

  it("refuse a job that would take its caller past the day's records, writing no ranges and no ledger entry", async () => {
    const job = jobOf('55555555-2222-4333-8444-555555555555', 'jobs/in/telco.csv', 'csv', { name: 'churn', version: '1.0.0' }, 7042, 'limitowner');
    requests.splice(0);
    const run = await execute(job, {});
    expect(run.error).toEqual({ errorType: 'RecordLimitExceeded', errorMessage: 'your plan may score 7042 batch records a day (UTC); 0 are used today and this job holds 7043' });
    expect(requests.filter((r) => r.method === 'PUT')).toEqual([]);
  }, 120_000);
});

/** The range a line's row is in. */
function rangeOfLine(items: readonly Range[], line: number): number {
  return [...items].reverse().find((r) => r.line <= line)!.range;
}
