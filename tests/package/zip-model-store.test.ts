import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { pushModel } from '../../scripts/model-push/push';
import { parityFixture, repoRoot } from '../helpers/models';
import { scratchModelsDir } from '../helpers/models-dir';
import { startS3, type LocalS3 } from '../helpers/s3rver';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

/**
 * The packaged zip of a stage with a model store (modelStore: create, the
 * dev-store artifact: no models inside) run in plain Node, as Lambda would,
 * against a real S3 API (s3rver on 127.0.0.1) holding models pushed with
 * model:push: it answers as the dev zip answers from its own models/, even
 * with MODELS_DIR pointing at other models; a tampered object makes its
 * model 503 and leaves the other at 200.
 */

const BUCKET = 'ml-inference-store-zip';
const predictEvent = JSON.parse(readFileSync(path.join(repoRoot, 'tests', 'events', 'predict.json'), 'utf8')) as APIGatewayProxyEvent;
const churn = parityFixture().cases.slice(0, 20).map((c) => c.input);
const intent = parityFixture<{ version: string; cases: { text: string }[] }>('intent').cases.slice(0, 10).map((c) => ({ text: c.text }));

const predict = (name: string, instances: unknown[]) => ({
  fn: 'predict',
  event: { ...predictEvent, resource: '/models/{name}/predict', path: `/models/${name}/predict`, pathParameters: { name }, body: JSON.stringify({ instances }) },
});
const calls = [predict('churn', churn), predict('intent', intent), { fn: 'models', event: { ...predictEvent, httpMethod: 'GET', resource: '/models', path: '/models', pathParameters: null, body: null } }];

type Result = { statusCode: number; body: string };

let s3: LocalS3;
let work: string;
let models: string;

/**
 * Runs the calls in a fresh Node over the stage's unzipped package, with the
 * predict function's environment from its template and `env` over it. Not
 * spawnSync: s3rver answers from this process's event loop.
 */
async function runZip(stage: string, env: Record<string, string>): Promise<Result[]> {
  const task = path.join(work, stage);
  execFileSync('unzip', ['-q', '-o', zipPath(stage), '-d', task]);
  const fn = resourcesOfType(template(stage), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction')!;
  const variables = Object.fromEntries(Object.entries(fn[1].Properties.Environment.Variables as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  const run = await promisify(execFile)(process.execPath, [path.join(work, 'runner.js'), path.join(work, 'calls.json')], {
    cwd: tmpdir(),
    env: { ...variables, PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, NODE_ENV: 'production', HOME: '/tmp', CAPTURE_SAMPLE: '0', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
  return (JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as { results: Result[] }).results;
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  Object.assign(process.env, s3.env);
  models = scratchModelsDir(true);
  work = mkdtempSync(path.join(tmpdir(), 'zip-store-'));
  copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
  writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls));
  for (const prefix of ['dev', 'tampered']) for (const name of ['churn', 'intent']) await pushModel(`s3://${BUCKET}/${prefix}/`, models, name);
  const onnx = readFileSync(path.join(models, 'intent', '1.0.0', 'model.onnx'));
  onnx[0] = onnx.at(0)! ^ 0xff;
  await new S3Client({ forcePathStyle: true, endpoint: s3.endpoint }).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tampered/intent/1.0.0/model.onnx', Body: onnx }));
}, 120_000);

afterAll(async () => {
  await s3.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(models, { recursive: true, force: true });
});

describe('the packaged zip of a stage with a model store', () => {
  it('carries no models', () => {
    const listing = execFileSync('unzip', ['-Z1', zipPath('dev-store')], { encoding: 'utf8' }).split('\n');
    expect(listing.filter((f) => f.startsWith('models/'))).toEqual([]);
    expect(listing).toContain('handlers/predict.js');
  });

  it("serves the store's models, with the answers the dev zip gives from its own, whatever MODELS_DIR holds", async () => {
    const packaged = await runZip('dev', {});
    const empty = mkdtempSync(path.join(tmpdir(), 'no-models-'));
    const stored = await runZip('dev-store', { ...s3.env, MODEL_STORE: `s3://${BUCKET}/dev/`, MODELS_DIR: empty });
    rmSync(empty, { recursive: true, force: true });
    expect(packaged.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(stored.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(JSON.parse(stored[0]!.body)).toEqual(JSON.parse(packaged[0]!.body));
    expect(JSON.parse(stored[1]!.body)).toEqual(JSON.parse(packaged[1]!.body));
    expect((JSON.parse(stored[2]!.body) as { models: { name: string }[] }).models.map((m) => m.name)).toEqual(['churn', 'intent']);
  }, 120_000);

  it('a tampered object: that model 503 with the sha256 mismatch, the other 200', async () => {
    const [churnReply, intentReply] = await runZip('dev-store', { ...s3.env, MODEL_STORE: `s3://${BUCKET}/tampered/` });
    expect(churnReply!.statusCode).toBe(200);
    expect(intentReply!.statusCode).toBe(503);
    expect((JSON.parse(intentReply!.body) as { error: string }).error).toMatch(/sha256 mismatch: model\.onnx in the model store is [0-9a-f]{64}, the manifest expects [0-9a-f]{64}$/);
  }, 120_000);
});
