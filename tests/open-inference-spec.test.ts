import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { invoke, type HttpHandler } from './helpers/lambda';
import { protocolSchema } from './helpers/open-inference-spec';
import { route } from './helpers/routes';

const infer = inferHandler as unknown as HttpHandler;
const metadata = metadataHandler as unknown as HttpHandler;
const errorSchema = protocolSchema('inference_error_response');
const modelErrorSchema = protocolSchema('metadata_model_error_response');
const inferOn = (name: string, body: string) => invoke(infer, { ...route('POST', '/v2/models/{name}/infer', { name }), body });

describe('every /v2 error answer validates against the protocol\'s error schemas', () => {
  const longName = 'x'.repeat(900_000);
  it.each([
    ['unknown model', 'fraud', '{"inputs":[]}'],
    ['malformed JSON', 'churn', '{'],
    ['schema violation', 'churn', '{"inputs": 3}'],
    ['unknown input, 900 KB name', 'intent', JSON.stringify({ inputs: [{ name: longName, shape: [1], datatype: 'BYTES', data: ['a'] }] })],
    ['wrong datatype', 'intent', '{"inputs":[{"name":"text","shape":[1],"datatype":"FP32","data":[1]}]}'],
    ['ragged nested data', 'churn', JSON.stringify({ inputs: [{ name: 'features', shape: [2, 45], datatype: 'FP32', data: [new Array(44).fill(0), new Array(46).fill(0)] }] })],
    ['unknown output', 'intent', '{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["hi"]}],"outputs":[{"name":"nope"}]}'],
  ])('%s', async (_, name, body) => {
    const reply = await inferOn(name, body);
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expect(errorSchema(reply.json)).toBe(true);
    expect(typeof reply.json.error).toBe('string');
    expect((reply.json.error as string).length).toBeLessThan(400); // client text is shortened
  });

  it('model metadata errors too', async () => {
    const reply = await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'fraud' }));
    expect(reply.status).toBe(404);
    expect(modelErrorSchema(reply.json)).toBe(true);
  });

  it('nested rows of 44 and 46 values are not a [2, 45] tensor', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'features', shape: [2, 45], datatype: 'FP32', data: [new Array(44).fill(0), new Array(46).fill(0)] }] });
    const reply = await inferOn('churn', body);
    expect(reply.status).toBe(400);
    expect(reply.json.error).toMatch(/data\[0\] holds 44 items; shape \[2, 45\] needs 45/);
  });
});

describe('/v2 answers validate against the protocol\'s response schemas', () => {
  it('server metadata, model metadata and an inference response', async () => {
    expect(protocolSchema('metadata_server_response')((await invoke(metadata, route('GET', '/v2'))).json)).toBe(true);
    expect(protocolSchema('metadata_model_response')((await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'intent' }))).json)).toBe(true);
    const reply = await inferOn('intent', '{"inputs":[{"name":"text","shape":[1],"datatype":"BYTES","data":["hello"]}]}');
    expect(protocolSchema('inference_response')(reply.json)).toBe(true);
  });
});
