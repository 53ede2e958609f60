import path from 'node:path';
import type { Job, Summary } from '../lib/batch-jobs/job';
import { addModel } from '../scripts/model-add/main';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { FakeApiGateway } from './helpers/api-gateway-stand-in';
import type { HttpHandler } from './helpers/lambda';
import { invoke } from './helpers/lambda';
import { route } from './helpers/routes';
import { startS3 } from './helpers/s3rver';
import { changeSettings } from './helpers/settings';
import { FakeStepFunctions } from './helpers/step-functions-stand-in';
import { DocumentSchemas, type OpenApiDocument } from './helpers/openapi';

/**
 * POST /models/{name}/batch-jobs and GET /models/{name}/batch-jobs/{id}
 * (README, "Batch scoring"), through the handler. Step Functions
 * (StartExecution, DescribeExecution) and API Gateway's management API (the
 * caller's usage plan) cannot run on this machine: the SDK's real clients
 * talk to stand-ins (tests/helpers/step-functions-stand-in.ts,
 * api-gateway-stand-in.ts). The usage ledger is in a real S3 API, s3rver on
 * 127.0.0.1. The state machine's own steps run from the packaged zip in
 * tests/package/batch-steps.test.ts.
 */

const LEDGER = 'ml-inference-batch-ledger';
const DATA = 'ml-inference-batch-data';
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:ml-inference-test-batch';
const FREE_KEY = 'keyfree001';
const PRO_KEY = 'keypro0001';
const UNPLANNED_KEY = 'keynoplan1';
const CUSTOMER = 'mlk_ezxn4zchmr_sS2dgIJ0bTCS9BGe6ThM6IvRedK0Ks82';

let s3: Awaited<ReturnType<typeof startS3>>;
let restore: () => void;
let handler: HttpHandler;
const sfn = new FakeStepFunctions();
const gateway = new FakeApiGateway(() => Date.now());

beforeAll(async () => {
  s3 = await startS3([LEDGER, DATA]);
  Object.assign(process.env, s3.env);
  restore = changeSettings({ BATCH_PREFIXES: `s3://${DATA}/in/, s3://${DATA}/out/`, BATCH_STATE_MACHINE_ARN: MACHINE, BATCH_BUCKET: LEDGER, BATCH_RECORD_LIMITS: 'planfreedv=1000,planpro001=100000' });
  gateway.planKeys.push({ usagePlanId: 'planfreedv', keyId: FREE_KEY }, { usagePlanId: 'planpro001', keyId: PRO_KEY });
  // The handler and the clients it uses, from this test's module registry.
  handler = require('../handlers/batch-jobs').handler as HttpHandler;
  (require('../lib/batch-jobs/aws') as typeof import('../lib/batch-jobs/aws')).useClients({ stepFunctions: sfn.client(), apiGateway: gateway.client() });
}, 30_000);

afterAll(async () => {
  restore();
  await s3.close();
});

const start = (body: unknown, apiKeyId = FREE_KEY, name = 'churn', headers: Record<string, string> = {}) =>
  invoke(handler, { ...route('POST', '/models/{name}/batch-jobs', { name }), headers: { 'content-type': 'application/json', ...headers }, apiKeyId, json: body });
const get = (id: string, apiKeyId = FREE_KEY, name = 'churn', headers: Record<string, string> = {}) =>
  invoke(handler, { ...route('GET', '/models/{name}/batch-jobs/{id}', { name, id }), headers, apiKeyId });
const good = { input: `s3://${DATA}/in/customers.csv`, output: `s3://${DATA}/out/` };
const started = () => sfn.calls.filter((c) => c.operation === 'StartExecution');

describe('POST /models/{name}/batch-jobs', () => {
  it('starts an execution named by the job id, whose input is the job: owner, resolved version, locations, format, the plan\'s limit and the day', async () => {
    const before = started().length;
    const reply = await start(good);
    expect(reply.status).toBe(202);
    const id = String(reply.json.id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reply.json).toMatchObject({
      status: 'running',
      model: { name: 'churn', version: '1.0.0' },
      format: 'csv',
      input: good.input,
      output: `s3://${DATA}/out/${id}/scores.csv`,
      folder: `s3://${DATA}/out/${id}/`,
      records_left_today: 1000,
    });
    const calls = started().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.signed).toBe(true);
    expect(calls[0]!.body.stateMachineArn).toBe(MACHINE);
    expect(calls[0]!.body.name).toBe(id);
    const { job } = JSON.parse(String(calls[0]!.body.input)) as { job: Job };
    expect(job).toEqual({
      id,
      owner: FREE_KEY,
      model: { name: 'churn', version: '1.0.0' },
      input: { bucket: DATA, key: 'in/customers.csv' },
      output: { bucket: DATA, key: `out/${id}/` },
      format: 'csv',
      recordLimit: 1000,
      day: new Date().toISOString().slice(0, 10),
    });
    // The caller's plan, asked by its key's id.
    expect(gateway.take().filter((r) => r.operation === 'GetUsagePlans').map((r) => r.query.keyId)).toEqual([FREE_KEY]);
  });

  it('takes the format from the extension or the body, a label or a version, and a customer key as its customer', async () => {
    const jsonl = await start({ input: `s3://${DATA}/in/messages.ndjson`, output: `s3://${DATA}/out/intent/` }, PRO_KEY, 'intent');
    expect(jsonl.status).toBe(202);
    expect(jsonl.json).toMatchObject({ format: 'jsonl', model: { name: 'intent', version: '1.0.0' }, records_left_today: 100000 });
    // intent's traffic file names a label, stable.
    const labelled = await start({ ...good, input: `s3://${DATA}/in/export.txt`, format: 'jsonl', label: 'stable' }, FREE_KEY, 'intent');
    expect(labelled.status).toBe(202);
    expect(labelled.json).toMatchObject({ format: 'jsonl', model: { name: 'intent', version: '1.0.0', label: 'stable' } });
    const versioned = await start({ ...good, version: '1.0.0' });
    expect(versioned.json).toMatchObject({ format: 'csv', model: { name: 'churn', version: '1.0.0' } });
    const customer = await start(good, FREE_KEY, 'churn', { 'x-api-key': CUSTOMER });
    expect(customer.status).toBe(202);
    expect((JSON.parse(String(started().at(-1)!.body.input)) as { job: Job }).job.owner).toBe('ezxn4zchmr');
  });

  it.each([
    ['an input outside the prefixes', { ...good, input: `s3://${DATA}/private/customers.csv` }, '/input', 'is outside the batch prefixes of this stage'],
    ['an input in another bucket', { ...good, input: 's3://someone-elses-bucket/in/customers.csv' }, '/input', 'is outside the batch prefixes'],
    ['an input that climbs out of its prefix', { ...good, input: `s3://${DATA}/in/../private/customers.csv` }, '/input', 'must not have "." or ".."'],
    ['an output outside the prefixes', { ...good, output: `s3://${DATA}/outbox/` }, '/output', 'is outside the batch prefixes'],
    ['an output that is not a prefix', { ...good, output: `s3://${DATA}/out/scores.csv` }, '/output', 'must be a prefix ending in "/"'],
    ['a URL that is not S3', { ...good, input: 'https://example.com/customers.csv' }, '/input', 'must be an s3://bucket/key URL'],
    ['no output', { input: good.input }, '/output', 'is required'],
    ['an unknown field', { ...good, callback: 'https://example.com' }, '/callback', 'is not a batch job field'],
    ['an unknown format', { ...good, format: 'parquet' }, '/format', 'must be "csv" or "jsonl"'],
    ['no format for an unknown extension', { ...good, input: `s3://${DATA}/in/customers.txt` }, '/format', 'is required for an input that does not end in'],
    ['a version and a label', { ...good, version: '1.0.0', label: 'stable' }, '/label', 'cannot be given with version'],
    ['a body that is no object', ['s3://x'], '', 'must be a JSON object'],
  ])('refuses %s with 400 naming the field, before anything is read or started', async (_, body, field, problem) => {
    const before = sfn.calls.length;
    gateway.take();
    const reply = await start(body);
    expect(reply.status).toBe(400);
    expect(reply.json.code).toBe('validation_failed');
    expect(reply.json.details).toEqual([{ path: field, problem: expect.stringContaining(problem) }]);
    expect(sfn.calls.length).toBe(before);
    expect(gateway.take()).toEqual([]);
  });

  it('takes a prefix of pictures (an input ending in "/") for an image model, its output CSV by default; refuses one for a model that takes no pictures with 415, starting nothing', async () => {
    const models = scratchModelsDir(['churn/1.0.0']);
    try {
      useModelsDir(models);
      await addModel({ file: path.join(repoRoot, 'tests', 'fixtures', 'images', 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(repoRoot, 'tests', 'fixtures', 'images', 'shapes_labels.txt') } });
      useModelsDir(models);
      const pictures = await start({ input: `s3://${DATA}/in/photos/`, output: `s3://${DATA}/out/` }, FREE_KEY, 'shapes');
      expect(pictures.status).toBe(202);
      expect(pictures.json).toMatchObject({ format: 'csv', input: `s3://${DATA}/in/photos/`, model: { name: 'shapes', version: '1.0.0' } });
      expect((JSON.parse(String(started().at(-1)!.body.input)) as { job: Job }).job).toMatchObject({ source: 'images', input: { bucket: DATA, key: 'in/photos/' }, format: 'csv' });
      const before = sfn.calls.length;
      const records = await start({ input: `s3://${DATA}/in/photos/`, output: `s3://${DATA}/out/` });
      expect(records.status).toBe(415);
      expect(records.json).toMatchObject({ code: 'unsupported_media_type', error: expect.stringContaining('the churn model takes application/json') });
      const file = await start(good, FREE_KEY, 'shapes');
      expect(file.status).toBe(415);
      expect(file.json.error).toContain('or a prefix of pictures (an input ending in "/") for an image model');
      expect(sfn.calls.length).toBe(before);
    } finally {
      removeModelsDir(models);
    }
  }, 60_000);

  it('answers 404 for an unknown model, version or label, starting nothing', async () => {
    const before = sfn.calls.length;
    expect((await start(good, FREE_KEY, 'fraud')).json.code).toBe('model_not_found');
    expect((await start({ ...good, version: '9.9.9' })).status).toBe(404);
    expect((await start({ ...good, label: 'canary' })).status).toBe(404);
    expect(sfn.calls.length).toBe(before);
  });

  it("refuses with 429 record_limit_exceeded a caller whose day's records are used up, or whose key is on no plan with batch records", async () => {
    const { s3 } = require('../lib/s3') as typeof import('../lib/s3');
    const { client, sdk } = await s3();
    const day = new Date().toISOString().slice(0, 10);
    // Two earlier jobs of the pro key today: 60,000 and 40,000 of its 100,000.
    for (const entry of ['00000000-0000-4000-8000-000000000001.60000', '00000000-0000-4000-8000-000000000002.40000']) {
      await client.send(new sdk.PutObjectCommand({ Bucket: LEDGER, Key: `usage/${PRO_KEY}/${day}/${entry}`, Body: '' }));
    }
    const before = sfn.calls.length;
    const full = await start(good, PRO_KEY);
    expect(full.status).toBe(429);
    expect(full.json).toMatchObject({ code: 'record_limit_exceeded', error: 'your plan may score 100000 batch records a day (UTC); 100000 are used today' });
    const unplanned = await start(good, UNPLANNED_KEY);
    expect(unplanned.status).toBe(429);
    expect(unplanned.json.error).toBe("your key's usage plan allows no batch records");
    expect(sfn.calls.length).toBe(before);
    // Yesterday's use does not count.
    const fresh = await start(good, FREE_KEY);
    expect(fresh.json.records_left_today).toBe(1000);
  });
});

describe('GET /models/{name}/batch-jobs/{id}', () => {
  it("reports the caller's own job as Step Functions describes it: running, then its counts, or its error", async () => {
    const id = String((await start(good)).json.id);
    const running = await get(id);
    expect(running.status).toBe(200);
    expect(running.json).toMatchObject({ id, status: 'running', model: { name: 'churn', version: '1.0.0' }, output: `s3://${DATA}/out/${id}/scores.csv` });
    const summary: Summary = { records: 7043, scored: 7040, errors: 3, errorsByCode: { validation_failed: 3 }, failedRanges: [], output: { bucket: DATA, key: `out/${id}/scores.csv` } };
    sfn.finish(id, { status: 'SUCCEEDED', output: JSON.stringify(summary) });
    const done = await get(id);
    expect(done.json).toMatchObject({ status: 'succeeded', records: 7043, scored: 7040, errors: 3, errors_by_code: { validation_failed: 3 }, failed_ranges: [], summary: `s3://${DATA}/out/${id}/summary.json` });
    expect(typeof done.json.stopped).toBe('string');

    const over = String((await start(good)).json.id);
    // As the Refused state ends a job its plan refused: the plan's error name, and its message as the cause.
    sfn.finish(over, { status: 'FAILED', error: 'RecordLimitExceeded', cause: 'your plan may score 1000 batch records a day (UTC); 0 are used today and this job holds 7043' });
    expect((await get(over)).json).toMatchObject({ status: 'failed', error: { code: 'RecordLimitExceeded', message: 'your plan may score 1000 batch records a day (UTC); 0 are used today and this job holds 7043' } });
  });

  it("answers another caller's job, an unknown job, another model's job and an id that is no job id with the same 404", async () => {
    const id = String((await start(good)).json.id);
    const answers = [await get(id, PRO_KEY), await get('7d0c3f9e-1111-4222-8333-444455556666'), await get(id, FREE_KEY, 'intent'), await get('../../etc')];
    for (const reply of answers) {
      expect(reply.status).toBe(404);
      expect(reply.json.code).toBe('not_found');
    }
    // The same customer with a rotated key still owns it.
    const customerJob = String((await start(good, FREE_KEY, 'churn', { 'x-api-key': CUSTOMER })).json.id);
    expect((await get(customerJob, 'rotatedkey', 'churn', { 'x-api-key': 'mlk_ezxn4zchmr_dRZcja049LVfppUvkgp8Y4FJmLJ5rf63' })).status).toBe(200);
    expect((await get(customerJob, FREE_KEY)).status).toBe(404);
  });
});

describe('the answers against /openapi.json', () => {
  it('202, 200 (running, succeeded, failed), 400, 404 and 429 each match the schema the document gives them', async () => {
    const docs = require('../handlers/docs').handler as HttpHandler;
    const document = (await invoke(docs, route('GET', '/openapi.json'))).json as unknown as OpenApiDocument;
    const schemas = new DocumentSchemas(document);
    const check = (reply: { status: number; json: unknown }, method: 'get' | 'post', path: string) => {
      const validate = schemas.response(path, method, reply.status, 'application/json');
      expect({ status: reply.status, valid: validate(reply.json), errors: validate.errors }).toEqual({ status: reply.status, valid: true, errors: null });
    };
    const created = await start(good);
    check(created, 'post', '/models/{name}/batch-jobs');
    const request = schemas.request('/models/{name}/batch-jobs', 'post');
    expect(request(good)).toBe(true);
    expect(request({ ...good, callback: 'x' })).toBe(false);
    const id = String(created.json.id);
    check(await get(id), 'get', '/models/{name}/batch-jobs/{id}');
    sfn.finish(id, { status: 'SUCCEEDED', output: JSON.stringify({ records: 2, scored: 1, errors: 1, errorsByCode: { invalid_csv: 1 }, failedRanges: [{ range: 3, line: 9, rows: 4 }], output: { bucket: DATA, key: 'out/x' } }) });
    check(await get(id), 'get', '/models/{name}/batch-jobs/{id}');
    const failed = String((await start(good)).json.id);
    sfn.finish(failed, { status: 'FAILED', error: 'InvalidCsv', cause: JSON.stringify({ errorType: 'InvalidCsv', errorMessage: 'the CSV file is empty' }) });
    check(await get(failed), 'get', '/models/{name}/batch-jobs/{id}');
    check(await start({ ...good, input: 's3://elsewhere/x.csv' }), 'post', '/models/{name}/batch-jobs');
    check(await get(id, PRO_KEY), 'get', '/models/{name}/batch-jobs/{id}');
    check(await start(good, UNPLANNED_KEY), 'post', '/models/{name}/batch-jobs');
  });
});

describe('a stage without the batch state machine (npm start)', () => {
  it('answers 503 batch_jobs_unavailable', async () => {
    const back = changeSettings({ BATCH_STATE_MACHINE_ARN: undefined });
    try {
      const reply = await start(good);
      expect(reply.status).toBe(503);
      expect(reply.json.code).toBe('batch_jobs_unavailable');
      expect((await get('7d0c3f9e-1111-4222-8333-444455556666')).json.code).toBe('batch_jobs_unavailable');
    } finally {
      back();
    }
  });
});
