import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import sharp from 'sharp';
import { LAMBDA_PAYLOAD_BYTES, MAX_BODY_LIMIT } from '../../lib/settings';
import { addModel } from '../../scripts/model-add/main';
import { forgetRepository } from '../../lib/repository/model-repository';
import { useModelsDir } from '../helpers/models-dir';
import { changeSettings } from '../helpers/settings';
import { formBody } from '../helpers/form';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';
import { zipPath } from './zip';

// Pictures and forms through the packaged zip, unzipped and run in plain
// Node as Lambda would (zip-runner.js), with the events API Gateway sends
// under serverless.yml's binaryMediaTypes (*/*: every body base64-encoded):
// the four ways in, the largest picture and the largest JSON tensor the
// body limit lets through (each event measured against Lambda's 6 MB), the
// 413 past it, and sharp's libvips loaded only where a picture is decoded.

interface Result {
  statusCode: number;
  body: string;
}
interface RunOutput {
  results: Result[];
  natives: { onnxruntime: boolean; libvips: boolean };
}

const images = path.join(repoRoot, 'tests', 'fixtures', 'images');
const picture = (name: string) => readFileSync(path.join(images, name));
const paddle = path.join(repoRoot, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const template0 = JSON.parse(readFileSync(path.join(repoRoot, 'tests', 'events', 'predict.json'), 'utf8')) as APIGatewayProxyEvent;

/** The proxy event API Gateway sends for a body of this media type to a model's predict route (or another route). */
function event(body: Buffer, contentType: string, resource = '/models/{name}/predict', pathParameters: Record<string, string> = { name: 'shapes' }): APIGatewayProxyEvent {
  const filled = resource.replace(/\{(\w+)\}/g, (_, key: string) => pathParameters[key]!);
  return {
    ...template0,
    resource,
    path: filled,
    pathParameters,
    headers: { ...template0.headers, 'content-type': contentType },
    multiValueHeaders: { ...Object.fromEntries(Object.entries({ ...template0.headers, 'content-type': contentType }).map(([k, v]) => [k, [v]])) },
    body: body.toString('base64'),
    isBase64Encoded: true,
    requestContext: { ...template0.requestContext, resourcePath: resource, path: `/dev${filled}` },
  };
}


/** The largest JPEG of noise (the worst case for its size) under `limit` bytes, found by trying square sizes. */
async function largestJpeg(limit: number): Promise<{ bytes: Buffer; side: number }> {
  let best: { bytes: Buffer; side: number } | undefined;
  let low = 256;
  let high = 2048;
  while (low <= high) {
    const side = Math.floor((low + high) / 2);
    const noise = Buffer.alloc(side * side * 3);
    let state = side;
    for (let i = 0; i < noise.length; i++) noise[i] = (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
    const bytes = await sharp(noise, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    if (bytes.length <= limit) {
      best = { bytes, side };
      low = side + 1;
    } else {
      high = side - 1;
    }
  }
  return best!;
}

/** The largest {"instances": [...]} of [3, 48, 192] rows (values with four decimals, as a client's JSON writer prints them rounded) under `limit` bytes. */
function largestTensorRequest(limit: number): { body: Buffer; rows: number } {
  const value = (c: number, y: number, x: number) => ((((c * 48 + y) * 192 + x) % 2000) / 1000 - 1).toFixed(4);
  const row = `[${Array.from({ length: 3 }, (_, c) => `[${Array.from({ length: 48 }, (_, y) => `[${Array.from({ length: 192 }, (_, x) => value(c, y, x)).join(',')}]`).join(',')}]`).join(',')}]`;
  const rows = Math.floor((limit - '{"instances":[]}'.length + 1) / (row.length + 1));
  const body = Buffer.from(`{"instances":[${Array.from({ length: rows }, () => row).join(',')}]}`);
  return { body, rows };
}

describe('pictures through the packaged zip, run in plain Node', () => {
  let work: string;
  let predictRun: RunOutput;
  let modelsRun: RunOutput;
  let healthRun: RunOutput;
  let largest: { bytes: Buffer; side: number };
  let tensor: { body: Buffer; rows: number };
  let events: APIGatewayProxyEvent[];
  const limit = Number(
    (resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction')![1].Properties.Environment.Variables as Record<string, string>).MAX_BODY_BYTES,
  );

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'zip-images-'));
    const task = path.join(work, 'task');
    execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
    const models = path.join(task, 'models');
    // model:add into the unzipped package's models folder (kept: removeModelsDir would delete it).
    useModelsDir(models);
    try {
      await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
      // PaddleOCR's classifier as tensors, for the largest JSON tensor request.
      await addModel({ file: paddle, name: 'direction-tensors', kind: 'tensor' });
    } finally {
      changeSettings({ MODELS_DIR: undefined });
      forgetRepository();
    }
    largest = await largestJpeg(limit);
    tensor = largestTensorRequest(limit);
    const form = await formBody({ image: { bytes: picture('circle.jpg'), type: 'image/jpeg' } });
    const quotes = Buffer.from(`{"text":"${'\\"'.repeat(1_600_000)}"}`);
    events = [
      event(picture('circle.jpg'), 'image/jpeg'),
      event(form.body, form.contentType),
      event(Buffer.from(JSON.stringify({ instances: [picture('square.png'), picture('stripes.jpg')].map((b) => ({ b64: b.toString('base64') })) })), 'application/json'),
      event(largest.bytes, 'image/jpeg'),
      event(Buffer.concat([largest.bytes, Buffer.alloc(limit + 1 - largest.bytes.length)]), 'image/jpeg'),
      event(tensor.body, 'application/json', '/models/{name}/predict', { name: 'direction-tensors' }),
      // Issue 21's 3.2 MB body of quotes: base64 in the event, it no longer doubles past Lambda's 6 MB.
      event(quotes, 'application/json', '/models/{name}/predict', { name: 'intent' }),
    ];
    const run = (fn: string, calls: { fn: string; event: APIGatewayProxyEvent }[]): RunOutput => {
      const file = path.join(work, `${fn}-calls.json`);
      writeFileSync(file, JSON.stringify(calls));
      const functionEnv = resourcesOfType(template('dev'), 'AWS::Lambda::Function').find(([id]) => id === 'PredictLambdaFunction')![1].Properties.Environment.Variables as Record<string, string>;
      const { status, stdout, stderr } = spawnSync(process.execPath, [path.join(work, 'runner.js'), file], {
        cwd: tmpdir(),
        env: { ...functionEnv, PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_TASK_ROOT: task, HOME: '/tmp' },
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 120_000,
      });
      if (status !== 0) throw new Error(`the runner exited with ${status}:\n${stderr}`);
      const line = stdout.split('\n').find((l) => l.startsWith('ZIP-RUNNER-RESULT '));
      return JSON.parse(line!.slice('ZIP-RUNNER-RESULT '.length)) as RunOutput;
    };
    copyFileSync(path.join(__dirname, 'zip-runner.js'), path.join(work, 'runner.js'));
    predictRun = run('predict', events.map((e) => ({ fn: 'predict', event: e })));
    const describe = { ...event(Buffer.alloc(0), 'application/json', '/models/{name}', { name: 'shapes' }), httpMethod: 'GET', body: null, isBase64Encoded: false };
    modelsRun = run('models', [{ fn: 'models', event: describe }]);
    healthRun = run('health', [{ fn: 'health', event: { ...describe, resource: '/health', path: '/health', pathParameters: null } }]);
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const reply = (i: number) => ({ status: predictRun.results[i]!.statusCode, json: JSON.parse(predictRun.results[i]!.body) as Record<string, unknown> });

  it('answers a raw JPEG, a form upload and a b64 batch with their labels', () => {
    expect([reply(0).status, reply(0).json.label]).toEqual([200, 'circle']);
    expect([reply(1).status, reply(1).json.label]).toEqual([200, 'circle']);
    expect(reply(2).status).toBe(200);
    expect((reply(2).json.predictions as { label: string }[]).map((p) => p.label)).toEqual(['square', 'stripes']);
  });

  it('serves the largest JPEG under MAX_BODY_BYTES, whose event fits Lambda\'s 6 MB', () => {
    const eventBytes = Buffer.byteLength(JSON.stringify(events[3]));
    process.stdout.write(`largest JPEG served: ${largest.side}×${largest.side}, ${largest.bytes.length} bytes; its event ${eventBytes} bytes of ${LAMBDA_PAYLOAD_BYTES}\n`);
    expect(limit).toBeLessThanOrEqual(MAX_BODY_LIMIT);
    expect(largest.bytes.length).toBeGreaterThan(limit * 0.95);
    expect(eventBytes).toBeLessThan(LAMBDA_PAYLOAD_BYTES);
    expect(reply(3).status).toBe(200);
  });

  it('answers one byte over MAX_BODY_BYTES with 413 naming the limit and what to do instead', () => {
    expect(reply(4).status).toBe(413);
    expect(reply(4).json.error).toBe(`request body is about ${limit + 1} bytes, over this API's limit of ${limit} bytes (MAX_BODY_BYTES): send fewer records or images per request, or smaller images (README, "Limits")`);
  });

  it('serves the largest JSON tensor request under MAX_BODY_BYTES (a 2 MB one among them), whose event fits Lambda\'s 6 MB', () => {
    const eventBytes = Buffer.byteLength(JSON.stringify(events[5]));
    process.stdout.write(`largest JSON tensor request served: ${tensor.rows} rows of [3, 48, 192], ${tensor.body.length} bytes; its event ${eventBytes} bytes\n`);
    expect(tensor.body.length).toBeGreaterThan(2_000_000);
    expect(eventBytes).toBeLessThan(LAMBDA_PAYLOAD_BYTES);
    expect(reply(5).status).toBe(200);
    expect(reply(5).json.predictions).toHaveLength(tensor.rows);
  });

  it("answers issue 21's 3.2 MB body of quotes itself (400, the text too long), not with the platform's 502", () => {
    expect(Buffer.byteLength(JSON.stringify(events[6]))).toBeLessThan(LAMBDA_PAYLOAD_BYTES);
    expect(reply(6).status).toBe(400);
  });

  it('loads libvips in the predict function only: the models and health functions never map it', () => {
    expect(predictRun.natives.libvips).toBe(true);
    expect(modelsRun.results[0]!.statusCode).toBe(200);
    expect(modelsRun.natives).toEqual({ onnxruntime: false, libvips: false });
    expect(healthRun.results[0]!.statusCode).toBe(200);
    expect(healthRun.natives).toEqual({ onnxruntime: true, libvips: false });
  });
});
