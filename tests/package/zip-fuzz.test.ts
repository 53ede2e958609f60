import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { routes, type Route } from '../../lib/http/routes';
import { addModel } from '../../scripts/model-add/main';
import { repoRoot, served } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

/**
 * The batch-jobs function's own settings as CloudFormation would resolve
 * them (its bucket, state machine and plans are the stack's): no fuzzed body
 * is a valid job, so nothing is ever started, and any AWS call a body did
 * reach would go to a closed port on 127.0.0.1, never to AWS.
 */
const BATCH_PREFIX = 's3://ml-inference-dev-batchbucket-fuzz/jobs/';
const BATCH_ENV = {
  BATCH_PREFIXES: BATCH_PREFIX,
  BATCH_BUCKET: 'ml-inference-dev-batchbucket-fuzz',
  BATCH_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ml-inference-dev-batch',
  BATCH_RECORD_LIMITS: 'free1234=100000,pro5678=10000000',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

/**
 * Every route of the route table, in the packaged zip run in plain Node, with
 * the inputs that break servers: no body, empty and zero-row bodies, bodies
 * at and over the size and batch limits, for every kind the zip can serve
 * (churn: binary classification, intent: text classification, and a tensor
 * model copied into the unzipped package, as a folder added after packaging
 * would be). No answer may be a 5xx, and every refusal is the one error body.
 */

interface Result {
  statusCode: number;
  body: string;
  headers: Record<string, string>;
}

const readEvent = (file: string) => JSON.parse(readFileSync(path.resolve(__dirname, '..', 'events', file), 'utf8')) as APIGatewayProxyEvent;

describe('every route of the packaged zip under empty, zero-row and maximum-size inputs', () => {
  let work: string;
  let results: Result[];
  const calls: { fn: string; event: APIGatewayProxyEvent; label: string }[] = [];
  const template_ = readEvent('predict.json');

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'zip-fuzz-'));
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
    // A tensor model beside the bundled ones: two dynamic FP32 inputs (tests/fixtures/pairwise_add.onnx).
    const scratch = scratchModelsDir(false);
    useModelsDir(scratch);
    try {
      await addModel({ file: path.join(repoRoot, 'tests', 'fixtures', 'pairwise_add.onnx'), name: 'pairwise' });
      cpSync(path.join(scratch, 'pairwise'), path.join(task, 'models', 'pairwise'), { recursive: true });
    } finally {
      removeModelsDir(scratch);
    }

    const fn = resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction')!;
    const env = fn[1].Properties.Environment.Variables as Record<string, string>;
    const maxBody = Number(env.MAX_BODY_BYTES);
    const maxBatch = Number(env.MAX_BATCH);

    const models: Record<string, { version: string; inputs: { name: string; shape: number[]; datatype: string }[] }> = {
      churn: { version: served('churn').version, inputs: [{ name: 'features', shape: [0, 45], datatype: 'FP32' }] },
      intent: { version: served('intent').version, inputs: [{ name: 'text', shape: [0], datatype: 'BYTES' }] },
      pairwise: { version: '1.0.0', inputs: [{ name: 'a', shape: [0, 2], datatype: 'FP32' }, { name: 'b', shape: [0, 2], datatype: 'FP32' }] },
    };
    const padded = (json: string, size: number) => json + ' '.repeat(Math.max(0, size - Buffer.byteLength(json)));
    const bodies = (route: Route, model: string): [string, string | null, string?][] => {
      if (route.body === undefined) return [['no body', null]];
      const common: [string, string | null, string?][] = [
        ['no body', null],
        ['an empty body', ''],
        ['{}', '{}'],
        ['[]', '[]'],
        ['null', 'null'],
        ['a body one byte over MAX_BODY_BYTES', 'x'.repeat(maxBody + 1)],
      ];
      if (route.body === 'infer') {
        const zeroRows = { inputs: models[model]!.inputs.map((i) => ({ ...i, data: [] })) };
        return [
          ...common,
          ['no inputs', '{"inputs": []}'],
          ['zero-row tensors', JSON.stringify(zeroRows)],
          ['a rank-0 tensor', JSON.stringify({ inputs: models[model]!.inputs.map((i) => ({ ...i, shape: [], data: [] })) })],
          ['MAX_BATCH + 1 rows', JSON.stringify({ inputs: models[model]!.inputs.map((i) => ({ ...i, shape: [maxBatch + 1, ...i.shape.slice(1)], data: [] })) })],
          ['zero-row tensors padded to exactly MAX_BODY_BYTES', padded(JSON.stringify(zeroRows), maxBody)],
        ];
      }
      if (route.body === 'BatchJobRequest') {
        return [
          ...common,
          ['no output', JSON.stringify({ input: `${BATCH_PREFIX}in.csv` })],
          ['an input outside the batch prefixes', JSON.stringify({ input: 's3://elsewhere/in.csv', output: `${BATCH_PREFIX}out/` })],
          ['an output that is not a prefix', JSON.stringify({ input: `${BATCH_PREFIX}in.csv`, output: `${BATCH_PREFIX}out.csv` })],
          ['a location padded to exactly MAX_BODY_BYTES', padded(JSON.stringify({ input: `${BATCH_PREFIX}in.csv`, output: 's3://elsewhere/' }), maxBody)],
        ];
      }
      if (route.body === 'FeedbackRequest') {
        return [
          ...common,
          ['no feedback items', '{"feedback": []}'],
          ['MAX_BATCH + 1 feedback items', JSON.stringify({ feedback: Array.from({ length: maxBatch + 1 }, (_, i) => ({ inference_id: `id/${i}`, actual: true })) })],
          ['a feedback item padded to exactly MAX_BODY_BYTES', padded('{"inference_id": "id", "actual": true}', maxBody)],
        ];
      }
      return [
        ...common,
        ['no instances', '{"instances": []}'],
        ['one empty record', '{"instances": [{}]}'],
        ['zero-row columnar tensors', JSON.stringify({ inputs: Object.fromEntries(models[model]!.inputs.map((i) => [i.name, []])) })],
        ['MAX_BATCH + 1 empty records', JSON.stringify({ instances: Array.from({ length: maxBatch + 1 }, () => ({})) })],
        ['a text padded to exactly MAX_BODY_BYTES', padded('{"text": "hello"}', maxBody)],
        ['an empty CSV body', '', 'text/csv'],
        ['a CSV header alone', 'text\r\n', 'text/csv'],
        ['a CSV body over MAX_BODY_BYTES', `text\r\n${'a\r\n'.repeat(Math.ceil(maxBody / 3) + 1)}`, 'text/csv'],
      ];
    };
    for (const route of routes.filter((r) => r.function !== 'docs')) {
      for (const [model, { version }] of Object.entries(models)) {
        const params: Record<string, string> = { name: model, version, label: 'stable' };
        const pathParameters = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, params[m[1]!]!]));
        const filled = route.path.replace(/\{(\w+)\}/g, (_, key: string) => params[key]!);
        for (const [label, body, contentType] of bodies(route, model)) {
          calls.push({
            fn: route.function,
            label: `${route.method} ${filled} with ${label}`,
            event: {
              ...template_,
              httpMethod: route.method,
              resource: route.path,
              path: filled,
              pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
              headers: { ...template_.headers, 'Content-Type': contentType ?? 'application/json' },
              body,
              requestContext: { ...template_.requestContext, httpMethod: route.method, resourcePath: route.path, path: `/dev${filled}` },
            },
          });
        }
      }
    }
    copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
    writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls.map(({ fn, event }) => ({ fn, event }))));
    const stdout = execFileSync(process.execPath, [path.join(work, 'runner.js'), path.join(work, 'calls.json')], {
      cwd: tmpdir(),
      env: { ...env, ...BATCH_ENV, PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, NODE_ENV: 'production', HOME: '/tmp', POWERTOOLS_LOG_LEVEL: 'ERROR' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: 120_000,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
    results = (JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as { results: Result[] }).results;
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('sent every route of the table, for every model, and got an answer to each', () => {
    expect(new Set(calls.map((c) => c.event.resource)).size).toBe(routes.filter((r) => r.function !== 'docs').length);
    expect(results).toHaveLength(calls.length);
  });

  it('never answers with a 5xx', () => {
    const failed = results.map((r, i) => ({ call: calls[i]!.label, status: r.statusCode, body: r.body.slice(0, 200) })).filter((r) => r.status >= 500);
    expect(failed).toEqual([]);
  });

  it('refuses with the one error body, naming a code', () => {
    for (const [i, r] of results.entries()) {
      if (r.statusCode < 400) continue;
      const body = JSON.parse(r.body) as Record<string, unknown>;
      expect({ call: calls[i]!.label, error: typeof body.error, code: typeof body.code }).toEqual({ call: calls[i]!.label, error: 'string', code: 'string' });
    }
  });

  it('answers the size and batch limits with 413, and an empty batch or tensor with 400, on every model', () => {
    // Only intent's traffic file has the label "stable": the other models' label routes are 404, before any body is read.
    const labelled = (label: string) => !label.includes('/labels/') || label.includes('/models/intent/');
    const statusOf = (pattern: RegExp) => results.filter((_, i) => pattern.test(calls[i]!.label) && labelled(calls[i]!.label)).map((r) => r.statusCode);
    expect(new Set(statusOf(/one byte over MAX_BODY_BYTES|CSV body over MAX_BODY_BYTES|MAX_BATCH \+ 1/))).toEqual(new Set([413]));
    expect(new Set(statusOf(/\/infer with zero-row tensors$/))).toEqual(new Set([400]));
    expect(new Set(statusOf(/predict with no instances$/))).toEqual(new Set([400]));
  });
});
