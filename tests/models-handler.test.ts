import { handler as modelsHandler } from '../handlers/models';
import { listModels } from '../lib/model-catalog';
import { invoke, type HttpHandler } from './helpers/lambda';
import { churnManifest, modelsDir } from './helpers/models';
import { route } from './helpers/routes';

const models = modelsHandler as unknown as HttpHandler;
const deployed = listModels(modelsDir);

describe('GET /models', () => {
  it('lists every model folder with its versions, newest last, and the default', async () => {
    const reply = await invoke(models, route('GET', '/models'));
    expect(reply.status).toBe(200);
    expect(reply.json.default).toBe('churn');
    const listed = reply.json.models as { name: string; versions: string[]; latest: string; task: string }[];
    expect(listed.map((m) => ({ name: m.name, versions: m.versions, latest: m.latest }))).toEqual(
      deployed.map((m) => ({ name: m.name, versions: m.versions, latest: m.versions.at(-1) })),
    );
    expect(listed.find((m) => m.name === 'churn')?.task).toBe('binary-classification');
  });
});

describe('GET /models/{name}', () => {
  it('describes the churn model: inputs, output, version, metrics and the request schema', async () => {
    const manifest = churnManifest();
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'churn' }));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      name: 'churn',
      version: manifest.version,
      task: 'binary-classification',
      sha256: manifest.sha256,
      inputs: manifest.features,
      output: manifest.output,
      metrics: (manifest.training as { metrics: unknown }).metrics,
    });
    const schema = reply.json.request_schema as { required: string[] };
    expect(schema.required).toEqual(manifest.features.map((f) => f.name));
  });

  it('answers an unknown model with 404 model_not_found naming the deployed models', async () => {
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'fraud' }));
    expect(reply.status).toBe(404);
    const error = reply.json.error as { code: string; message: string };
    expect(error.code).toBe('model_not_found');
    expect(error.message).toBe(`no model named "fraud"; deployed models: ${deployed.map((m) => m.name).join(', ')}`);
  });
});
