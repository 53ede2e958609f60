import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { accessLines, captureOutput, emfLines, type Captured } from './helpers/log-lines';
import { parityFixture } from './helpers/models';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';

/**
 * Request capture (README, "Monitoring") through the real handlers and
 * models: the X-Inference-Id of every answer, one capture line per record of
 * a sampled request, CAPTURE_DIR's copy in the S3 layout, and nothing of a
 * key or a header in any line.
 */

const customers = parityFixture().cases.slice(0, 3).map((c) => c.input);
const captureLines = (c: Captured) => c.json.filter((l) => 'capture' in l);
const KEY_ID = 'key-id-abc';

describe('capture', () => {
  let dir: string;
  let restore: () => void;
  let handlers: Handlers;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'captures-'));
    restore = changeSettings({ CAPTURE_SAMPLE: '100', CAPTURE_DIR: dir, DEFAULT_MODEL: 'churn' });
    handlers = freshHandlers();
  });
  afterAll(() => {
    restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers the records of a batch <id>/<i> under the caller\'s X-Inference-Id, and writes one line per record', async () => {
    let reply!: Awaited<ReturnType<typeof invoke>>;
    const output = await captureOutput(async () => {
      reply = await invoke(handlers.predict, {
        ...route('POST', '/models/{name}/predict', { name: 'churn' }),
        headers: { 'content-type': 'application/json', 'x-inference-id': 'batch-42', 'x-api-key': 'secret-key-value' },
        apiKeyId: KEY_ID,
        json: { instances: customers },
      });
    });
    expect(reply.status).toBe(200);
    expect(reply.headers['X-Inference-Id']).toBe('batch-42');
    const lines = captureLines(output);
    expect(lines.map((l) => l.inference_id)).toEqual(['batch-42/0', 'batch-42/1', 'batch-42/2']);
    const predictions = (reply.json as { predictions: { churn_probability: number }[] }).predictions;
    lines.forEach((line, i) => {
      expect(line).toMatchObject({ capture: 'inference', model: 'churn', version: '1.0.0', route: 'predict', api_key_id: KEY_ID });
      expect((line.prediction as { score: number }).score).toBe(predictions[i]!.churn_probability);
      expect((line.input as Record<string, unknown>).tenure).toBe(customers[i]!.tenure);
    });
    expect(output.text).not.toContain('secret-key-value');
    for (const line of [...accessLines(output), ...emfLines(output)]) expect(line).not.toHaveProperty('capture');
    const written = readdirSync(path.join(dir, 'captures/inference/model=churn/version=1.0.0'));
    expect(written).toHaveLength(1);
    const files = readdirSync(path.join(dir, 'captures/inference/model=churn/version=1.0.0', written[0]!));
    const copy = files.flatMap((f) => readFileSync(path.join(dir, 'captures/inference/model=churn/version=1.0.0', written[0]!, f), 'utf8').trim().split('\n'));
    expect(copy.map((l) => JSON.parse(l) as unknown)).toEqual(lines);
  });

  it('answers the request id as the inference id when none is sent, and one record as <id> alone', async () => {
    let reply!: Awaited<ReturnType<typeof invoke>>;
    const output = await captureOutput(async () => {
      reply = await invoke(handlers.predict, { ...route('POST', '/predict'), json: customers[0] });
    });
    const id = reply.headers['X-Inference-Id'];
    expect(typeof id).toBe('string');
    expect(captureLines(output).map((l) => l.inference_id)).toEqual([id]);
    expect(captureLines(output)[0]!.request_id).toBe(id);
  });

  it('refuses a malformed X-Inference-Id with a 400 naming the header', async () => {
    const reply = await invoke(handlers.predict, { ...route('POST', '/predict'), headers: { 'content-type': 'application/json', 'x-inference-id': 'a/b' }, json: customers[0] });
    expect(reply.status).toBe(400);
    expect((reply.json as { error: string }).error).toContain('X-Inference-Id');
  });

  it('keeps a long text as its summary and profile, never raw, and every line far under CloudWatch\'s 256 KB event', async () => {
    const long = `${'my bill is wrong and nobody answers the phone '.repeat(43)}end`;
    let reply!: Awaited<ReturnType<typeof invoke>>;
    const output = await captureOutput(async () => {
      reply = await invoke(handlers.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { instances: [{ text: long }, { text: 'hello there' }] } });
    });
    expect(reply.status).toBe(200);
    const [first, second] = captureLines(output);
    expect(first!.input).toEqual({ text: { summary: { length: long.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(JSON.stringify(first)).not.toContain('nobody answers');
    expect(first!.features).toEqual({ text: { length: long.length, vocabulary_share: expect.any(Number) } });
    expect(second!.input).toEqual({ text: 'hello there' });
    for (const line of captureLines(output)) expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThan(8 * 1024);
  });

  it('captures an Open Inference Protocol request as one line, its tensors as their summaries', async () => {
    const texts = Array.from({ length: 70 }, (_, i) => `message number ${i}`);
    let reply!: Awaited<ReturnType<typeof invoke>>;
    const output = await captureOutput(async () => {
      reply = await invoke(handlers.v2Infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'intent' }), json: { inputs: [{ name: 'text', shape: [70], datatype: 'BYTES', data: texts }] } });
    });
    expect(reply.status).toBe(200);
    expect(typeof reply.headers['X-Inference-Id']).toBe('string');
    const lines = captureLines(output);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ route: 'v2-infer', inference_id: reply.headers['X-Inference-Id'] });
    expect(JSON.stringify(lines[0])).not.toContain('message number 42');
    expect(JSON.stringify(lines[0]!.input)).toContain('"elements":70');
  });

  it('captures nothing at CAPTURE_SAMPLE 0, and still answers X-Inference-Id', async () => {
    const restoreZero = changeSettings({ CAPTURE_SAMPLE: '0' });
    try {
      const h = freshHandlers();
      let reply!: Awaited<ReturnType<typeof invoke>>;
      const output = await captureOutput(async () => {
        reply = await invoke(h.predict, { ...route('POST', '/predict'), json: customers[0] });
      });
      expect(reply.headers['X-Inference-Id']).toEqual(expect.any(String));
      expect(captureLines(output)).toEqual([]);
    } finally {
      restoreZero();
    }
  });

  it('captures the first 100 records of a larger batch (Firehose splits at most 500 events of one log record)', async () => {
    const many = parityFixture().cases.slice(0, 150).map((c) => c.input);
    const output = await captureOutput(async () => {
      expect((await invoke(handlers.predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: { instances: many } })).status).toBe(200);
    });
    const ids = captureLines(output).map((l) => l.inference_id as string);
    expect(ids).toHaveLength(100);
    expect(ids.at(-1)).toMatch(/\/99$/);
  });
});

