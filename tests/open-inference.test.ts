import Ajv from 'ajv';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { createEncoder } from '../lib/kinds/binary-classification/one-hot-encoder';
import { findVersion, listModels } from '../lib/repository/model-repository';
import { isErrorBody } from './helpers/error-body';
import { invoke, type HttpHandler } from './helpers/lambda';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { churnManifest, modelsDir, parityFixture, served } from './helpers/models';
import { route } from './helpers/routes';

const metadata = metadataHandler as unknown as HttpHandler;
const infer = inferHandler as unknown as HttpHandler;
const churn = parityFixture('churn');
const manifest = churnManifest();
const deployed = listModels(modelsDir);

/** The protocol's error object (inference_error_response): "error" a string; our body adds code, details and request_id. */
const isV2Error = new Ajv().compile({
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', minLength: 1 } },
});
const expectV2Error = (json: unknown) => {
  expect(isV2Error(json)).toBe(true);
  expect(isErrorBody(json)).toBe(true);
};

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
        versions: deployed.find((m) => m.name === 'churn')!.versions.map((v) => v.version),
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, manifest.columns.length] }],
        outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 1] }],
        ready: true,
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
      expectV2Error(reply.json);
      expect(reply.json.code).toBe('model_not_found');
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
        inferRoute('churn', { id: 'req-42', inputs: [{ name: 'features', shape: [cases.length, width], datatype: 'FP32', data: tensorData }] }, churn.version),
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
    ['too little data', { inputs: [{ name: 'features', shape: [2, 45], datatype: 'FP32', data: Array(45).fill(0) }] }, 'data holds 45 values; shape [2, 45] needs 90'],
    ['rows of 44 and 46 values for [2, 45]', { inputs: [{ name: 'features', shape: [2, 45], datatype: 'FP32', data: [Array(44).fill(0), Array(46).fill(0)] }] }, 'holds 44 items; shape [2, 45] needs 45 at depth 1'],
    ['data nested deeper than the shape', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: [Array(45).fill([0])] }] }, 'nested deeper than shape [1, 45]'],
    ['a string in FP32 data', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: [...Array(44).fill(0), 'x'] }] }, 'value 44 (row-major) must be a finite number (FP32)'],
    ['a number beyond float32', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: [...Array(44).fill(0), 1e39] }] }, 'outside the range of FP32'],
    ['an unknown input', { inputs: [{ name: 'x', shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) }] }, 'unknown input "x"'],
    ['an unknown output', { inputs: [{ name: 'features', shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) }], outputs: [{ name: 'y' }] }, 'unknown output "y"'],
    ['an input given twice', { inputs: [1, 2].map(() => ({ name: 'features', shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) })) }, 'input "features" is given more than once'],
    ['no inputs', { inputs: [] }, 'invalid inference request'],
    ['not an object', [1, 2], 'invalid inference request'],
  ])('answers %s with 400 and {"error": "..."}', async (_what, body, message) => {
    const reply = await invoke(infer, inferRoute('churn', body));
    expect(reply.status).toBe(400);
    expectV2Error(reply.json);
    expect(reply.json.code).toBe('validation_failed');
    expect(reply.json.error).toContain(message);
  });

  it('shortens an unknown input or output name in the message', async () => {
    const long = 'n'.repeat(500);
    const zeros = { shape: [1, 45], datatype: 'FP32', data: Array(45).fill(0) };
    for (const body of [{ inputs: [{ name: long, ...zeros }] }, { inputs: [{ name: 'features', ...zeros }], outputs: [{ name: long }] }]) {
      const reply = await invoke(infer, inferRoute('churn', body));
      expect(reply.status).toBe(400);
      expectV2Error(reply.json);
      expect(reply.json.error).toContain(`"${'n'.repeat(64)}…"`);
      expect(reply.json.error).not.toContain('n'.repeat(65));
    }
  });

  it('answers every output when "outputs" is absent or empty', async () => {
    const { data, width } = encodedChurn(1);
    for (const outputs of [undefined, []]) {
      const reply = await invoke(infer, inferRoute('churn', { inputs: [{ name: 'features', shape: [1, width], datatype: 'FP32', data }], ...(outputs ? { outputs } : {}) }));
      expect(reply.status).toBe(200);
      expect((reply.json.outputs as { name: string }[]).map((o) => o.name)).toEqual(manifest.onnx.outputs.map((o) => o.name));
    }
  });

  it.each([
    ['a zero-row text tensor (onnxruntime cannot reduce over no rows)', 'intent', { name: 'text', shape: [0], datatype: 'BYTES', data: [] }],
    ['a zero-row feature tensor', 'churn', { name: manifest.onnx.inputs[0]!.name, shape: [0, manifest.onnx.inputs[0]!.shape[1]], datatype: 'FP32', data: [] }],
  ])('answers %s with 400 naming the input, for every model alike', async (_, name, input) => {
    const reply = await invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name }), json: { inputs: [input] } });
    expect(reply.status).toBe(400);
    expectV2Error(reply.json);
    expect(reply.json).toMatchObject({ code: 'validation_failed', details: [{ path: '/inputs/0', problem: 'must hold at least one value (no dimension of 0)' }] });
    expect(reply.json.error).toContain(`input "${input.name}" has shape [${input.shape.join(', ')}], which holds no values`);
  });

  it('negotiates Accept as /predict does: 406 for one that admits no JSON, JSON for */* or application/json', async () => {
    const body = { inputs: [{ name: 'text', shape: [1], datatype: 'BYTES', data: ['hello'] }] };
    const ask = (accept: string) => invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'intent' }), json: body, headers: { 'content-type': 'application/json', accept } });
    const refused = await ask('application/xml');
    expect(refused.status).toBe(406);
    expectV2Error(refused.json);
    expect(refused.json).toMatchObject({ code: 'not_acceptable', error: 'Accept admits no answer format of this route: application/json' });
    for (const accept of ['*/*', 'application/json', 'application/xml;q=1, application/json;q=0.1']) expect((await ask(accept)).status).toBe(200);
  });

  it('answers malformed JSON, an unknown model and a batch over MAX_BATCH in the protocol error shape', async () => {
    const malformed = await invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name: 'churn' }), body: '{"inputs": [' });
    expect(malformed.status).toBe(400);
    expectV2Error(malformed.json);
    expect(malformed.json.code).toBe('invalid_json');

    const unknown = await invoke(infer, inferRoute('fraud', { inputs: [] }));
    expect(unknown.status).toBe(404);
    expectV2Error(unknown.json);

    const tooMany = await invoke(infer, inferRoute('churn', { inputs: [{ name: 'features', shape: [1001, 45], datatype: 'FP32', data: [] }] }));
    expect(tooMany.status).toBe(413);
    expectV2Error(tooMany.json);
    expect(tooMany.json.code).toBe('payload_too_large');
  });
});

describe('Open Inference Protocol: server readiness with a model that fails to load', () => {
  let root: string;

  beforeAll(() => {
    root = scratchModelsDir(true);
    const onnx = path.join(findVersion('churn', served('churn').version, root).dir, manifest.file);
    const bytes = readFileSync(onnx);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0xff, 0);
    writeFileSync(onnx, bytes);
    useModelsDir(root);
  });

  afterAll(() => removeModelsDir(root));

  it('answers 503 naming the model that is not ready, and the model route says why', async () => {
    const ready = await invoke(metadata, route('GET', '/v2/health/ready'));
    expect(ready.status).toBe(503);
    // Live is live: the server answered, as /v2/health/live says, whatever its models.
    expect(ready.json).toEqual({ live: true, ready: false, not_ready: ['churn'], error: 'models not ready: churn' });
    expect((await invoke(metadata, route('GET', '/v2/health/live'))).json).toEqual({ live: true });

    const model = await invoke(metadata, route('GET', '/v2/models/{name}/ready', { name: 'churn' }));
    expect(model.status).toBe(503);
    expect(model.json).toEqual({ name: 'churn', ready: false, reason: expect.stringContaining('sha256 mismatch'), error: expect.stringMatching(/^model "churn" is not ready: sha256 mismatch/) });
    // The readiness body, with the protocol's error string.
    expect(isV2Error(model.json)).toBe(true);
    expect(isV2Error(ready.json)).toBe(true);
  });

  it('says in the model metadata, still 200 (the graph is described), that the model is not ready and why', async () => {
    for (const options of [route('GET', '/v2/models/{name}', { name: 'churn' }), route('GET', '/v2/models/{name}/versions/{version}', { name: 'churn', version: churn.version })]) {
      const reply = await invoke(metadata, options);
      expect(reply.status).toBe(200);
      expect(reply.json).toMatchObject({ name: 'churn', platform: 'onnxruntime_onnx', ready: false, reason: expect.stringContaining('sha256 mismatch') });
    }
    const intent = await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'intent' }));
    expect(intent.json).toMatchObject({ ready: true });
    expect(intent.json).not.toHaveProperty('reason');
  });
});
