import Ajv from 'ajv';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { listModels } from '../lib/model-catalog';
import { createEncoder } from '../lib/tasks/one-hot-encoder';
import { invoke, type HttpHandler } from './helpers/lambda';
import { churnManifest, modelsDir, parityFixture } from './helpers/models';
import { route } from './helpers/routes';

const metadata = metadataHandler as unknown as HttpHandler;
const infer = inferHandler as unknown as HttpHandler;
const churn = parityFixture('churn');
const manifest = churnManifest();
const deployed = listModels(modelsDir);

/** The protocol's error object for its routes. */
const isV2Error = new Ajv().compile({
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: { error: { type: 'string', minLength: 1 } },
});

/** The churn encoding done by a client: the FP32 [N, 45] tensor the graph takes. */
function encodedChurn(n: number) {
  const encoder = createEncoder(manifest.features);
  const cases = churn.cases.slice(0, n);
  return { cases, data: Array.from(encoder.encode(cases.map((c) => c.input)).data), width: encoder.width };
}

const inferRoute = (name: string, json: unknown, version?: string) =>
  version === undefined
    ? { ...route('POST', '/v2/models/{name}/infer', { name }), json }
    : { ...route('POST', '/v2/models/{name}/versions/{version}/infer', { name, version }), json };

describe('Open Inference Protocol: health and metadata', () => {
  it('GET /v2: server metadata', async () => {
    const reply = await invoke(metadata, route('GET', '/v2'));
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ name: 'ml-inference', version: expect.any(String), extensions: [] });
  });

  it('GET /v2/health/live and /v2/health/ready', async () => {
    expect((await invoke(metadata, route('GET', '/v2/health/live'))).json).toEqual({ live: true });
    const ready = await invoke(metadata, route('GET', '/v2/health/ready'));
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ live: true, ready: true });
  });

  it('GET /v2/models/{name}[/versions/{v}]: metadata with platform and tensors, -1 for the batch', async () => {
    for (const options of [
      route('GET', '/v2/models/{name}', { name: 'churn' }),
      route('GET', '/v2/models/{name}/versions/{version}', { name: 'churn', version: churn.version }),
    ]) {
      const reply = await invoke(metadata, options);
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({
        name: 'churn',
        versions: deployed.find((m) => m.name === 'churn')!.versions,
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, manifest.columns.length] }],
        outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
      });
    }
  });

  it('GET /v2/models/{name}[/versions/{v}]/ready', async () => {
    const ready = await invoke(metadata, route('GET', '/v2/models/{name}/ready', { name: 'churn' }));
    expect(ready.json).toEqual({ name: 'churn', ready: true });
    const versioned = await invoke(metadata, route('GET', '/v2/models/{name}/versions/{version}/ready', { name: 'churn', version: churn.version }));
    expect(versioned.json).toEqual({ name: 'churn', ready: true });
  });

  it('answers an unknown model or version with 404 and the protocol error object', async () => {
    for (const options of [
      route('GET', '/v2/models/{name}', { name: 'fraud' }),
      route('GET', '/v2/models/{name}/ready', { name: 'fraud' }),
      route('GET', '/v2/models/{name}/versions/{version}', { name: 'churn', version: '9' }),
    ]) {
      const reply = await invoke(metadata, options);
      expect(reply.status).toBe(404);
      expect(isV2Error(reply.json)).toBe(true);
    }
  });
});

describe('Open Inference Protocol: POST /v2/models/{name}[/versions/{v}]/infer', () => {
  it('runs the churn graph on the encoded FP32 tensor, flat or nested, and echoes the id', async () => {
    const { cases, data, width } = encodedChurn(25);
    const nested = cases.map((_, i) => data.slice(i * width, (i + 1) * width));
    for (const tensorData of [data, nested]) {
      const reply = await invoke(
        infer,
        inferRoute('churn', { id: 'req-42', inputs: [{ name: 'features', shape: [cases.length, width], datatype: 'FP32', data: tensorData }] }),
      );
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ model_name: 'churn', model_version: churn.version, id: 'req-42' });
      const [output] = reply.json.outputs as { name: string; datatype: string; shape: number[]; data: number[] }[];
      expect(output).toMatchObject({ name: 'probability', datatype: 'FP32', shape: [cases.length, 1] });
      output!.data.forEach((p, i) => expect(Math.abs(p - cases[i]!.churn_probability)).toBeLessThan(1e-5));
    }
  });

  it('takes a named version and a requested output, and omits id when none was sent', async () => {
    const { cases, data, width } = encodedChurn(2);
    const reply = await invoke(
      infer,
      inferRoute('churn', { inputs: [{ name: 'features', shape: [2, width], datatype: 'FP32', data }], outputs: [{ name: 'probability' }] }, churn.version),
    );
    expect(reply.status).toBe(200);
    expect(reply.json).not.toHaveProperty('id');
    expect((reply.json.outputs as unknown[]).length).toBe(1);
    expect(cases).toHaveLength(2);
  });

  it.each([
    ['a wrong datatype', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'INT64', data: Array(45).fill(0) }] }, 'datatype INT64'],
    ['a wrong shape', { inputs: [{ name: 'features', shape: [1, 44], datatype: 'FP32', data: Array(44).fill(0) }] }, 'shape [1, 44]'],
    ['too little data', { inputs: [{ name: 'features', shape: [2, 45], datatype: 'FP32', data: Array(45).fill(0) }] }, 'so 90 values, but data holds 45'],
    ['a string in FP32 data', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: [...Array(44).fill(0), 'x'] }] }, 'finite numbers'],
    ['an unknown input', { inputs: [{ name: 'x', shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) }] }, 'unknown input "x"'],
    ['an unknown output', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) }], outputs: [{ name: 'y' }] }, 'unknown output "y"'],
    ['no inputs', { inputs: [] }, 'invalid inference request'],
    ['not an object', [1, 2], 'invalid inference request'],
  ])('answers %s with 400 and {"error": "..."}', async (_what, body, message) => {
    const reply = await invoke(infer, inferRoute('churn', body));
    expect(reply.status).toBe(400);
    expect(isV2Error(reply.json)).toBe(true);
    expect(reply.json.error).toContain(message);
  });

  it('answers malformed JSON, an unknown model and a batch over MAX_BATCH in the protocol error shape', async () => {
    const malformed = await invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'churn' }), body: '{"inputs": [' });
    expect(malformed.status).toBe(400);
    expect(isV2Error(malformed.json)).toBe(true);

    const unknown = await invoke(infer, inferRoute('fraud', { inputs: [] }));
    expect(unknown.status).toBe(404);
    expect(isV2Error(unknown.json)).toBe(true);

    const tooMany = await invoke(infer, inferRoute('churn', { inputs: [{ name: 'features', shape: [1001, 45], datatype: 'FP32', data: [] }] }));
    expect(tooMany.status).toBe(413);
    expect(isV2Error(tooMany.json)).toBe(true);
  });
});
