import { handler as predictHandler } from '../handlers/predict';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { invoke, type HttpHandler } from './helpers/lambda';
import { manifestOf, parityFixture } from './helpers/models';
import { route } from './helpers/routes';
import type { TextClassificationManifest } from '../lib/kinds/text-classification';

const predict = predictHandler as unknown as HttpHandler;
const infer = inferHandler as unknown as HttpHandler;
const metadata = metadataHandler as unknown as HttpHandler;

interface IntentCase {
  text: string;
  intent: string;
  probabilities: number[];
}
const fixture = parityFixture<{ version: string; cases: IntentCase[] }>('intent');
function intentManifest(): TextClassificationManifest {
  const manifest = manifestOf('intent', fixture.version);
  if (manifest.kind !== 'text-classification') throw new Error('intent is not a text classifier');
  return manifest;
}
const manifest = intentManifest();
const { labels } = manifest;
const [input] = manifest.onnx.inputs;
const [output] = manifest.onnx.outputs;
// The version the parity fixture was trained as, named: a newer version added beside it answers otherwise.
const predictIntent = (json: unknown) => invoke(predict, { ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'intent', version: fixture.version }), json });

function expectMatches(answer: { intent: string; probabilities: Record<string, number> }, expected: IntentCase) {
  expect(answer.intent).toBe(expected.intent);
  expect(Object.keys(answer.probabilities)).toEqual(labels);
  labels.forEach((label, i) => expect(Math.abs(answer.probabilities[label]! - expected.probabilities[i]!)).toBeLessThan(1e-5));
}

describe('POST /models/intent/predict', () => {
  it('classifies one message: intent, a probability per label, and the model', async () => {
    const reply = await predictIntent({ text: 'I want to cancel my subscription' });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.json).sort()).toEqual(['intent', 'model', 'probabilities']);
    expect(labels).toContain(reply.json.intent);
    const p = reply.json.probabilities as Record<string, number>;
    expect(Object.values(p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(reply.json.model).toEqual({ name: 'intent', version: fixture.version });
  });

  it('classifies every parity message (punctuation, case, unknown words, empty, NUL, other scripts) as scikit-learn did', async () => {
    const reply = await predictIntent({ instances: fixture.cases.map((c) => ({ text: c.text })) });
    expect(reply.status).toBe(200);
    const answers = reply.json.predictions as { intent: string; probabilities: Record<string, number> }[];
    answers.forEach((answer, i) => expectMatches(answer, fixture.cases[i]!));
  });

  it('rejects a missing or non-string text, and a text over the manifest limit', async () => {
    for (const json of [{}, { text: 42 }, { text: 'x'.repeat(manifest.text.maxLength + 1) }]) {
      const reply = await predictIntent(json);
      expect(reply.status).toBe(400);
      expect(reply.json.code).toBe('validation_failed');
    }
  });
});

describe('the length of a text, one definition on every route (Unicode code points)', () => {
  const emoji = '😀';
  it.each([
    ['at the limit', manifest.text.maxLength, 200],
    ['one over', manifest.text.maxLength + 1, 400],
  ])('%s (%i emoji, each two UTF-16 units): /models/intent/predict and V2 infer agree', async (_, count, status) => {
    const text = emoji.repeat(count);
    const predicted = await predictIntent({ text });
    const inferred = await invoke(infer, {
      ...route('POST', '/v2/models/{name}/infer', { name: 'intent' }),
      json: { inputs: [{ name: input!.name, shape: [1], datatype: 'BYTES', data: [text] }] },
    });
    expect([predicted.status, inferred.status]).toEqual([status, status]);
    if (status === 400) expect(inferred.json.error).toContain(`at most ${manifest.text.maxLength} characters (Unicode code points)`);
  });
});

describe('Open Inference Protocol with the intent model', () => {
  it('describes a BYTES input and an FP32 output', async () => {
    const reply = await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'intent' }));
    expect(reply.json).toMatchObject({
      name: 'intent',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: input!.name, datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: output!.name, datatype: 'FP32', shape: [-1, labels.length] }],
    });
  });

  it('infers on a BYTES tensor: the probabilities scikit-learn gave, row by row', async () => {
    const cases = fixture.cases.slice(0, 12);
    const reply = await invoke(infer, {
      ...route('POST', '/v2/models/{name}/versions/{version}/infer', { name: 'intent', version: fixture.version }),
      json: { id: 'chat-7', inputs: [{ name: input!.name, shape: [cases.length], datatype: 'BYTES', data: cases.map((c) => c.text) }] },
    });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ model_name: 'intent', model_version: fixture.version, id: 'chat-7' });
    const [probabilities] = reply.json.outputs as { shape: number[]; data: number[] }[];
    expect(probabilities!.shape).toEqual([cases.length, labels.length]);
    cases.forEach((c, row) => c.probabilities.forEach((p, j) => expect(Math.abs(probabilities!.data[row * labels.length + j]! - p)).toBeLessThan(1e-5)));
  });

  it('refuses numbers as BYTES data', async () => {
    const reply = await invoke(infer, {
      ...route('POST', '/v2/models/{name}/infer', { name: 'intent' }),
      json: { inputs: [{ name: input!.name, shape: [1], datatype: 'BYTES', data: [1] }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: expect.stringContaining('must be a string (BYTES)'), code: 'validation_failed' });
  });
});
