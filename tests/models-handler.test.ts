import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { listModels } from '../lib/repository/model-repository';
import { isErrorBody } from './helpers/error-body';
import { invoke, type HttpHandler } from './helpers/lambda';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { churnManifest, manifestOf, modelsDir, parityFixture, trainedVersions } from './helpers/models';
import { route } from './helpers/routes';

const models = modelsHandler as unknown as HttpHandler;
const predict = predictHandler as unknown as HttpHandler;
const metadata = metadataHandler as unknown as HttpHandler;
const deployed = listModels(modelsDir);

interface Listed {
  name: string;
  kind: string | null;
  description: string | null;
  versions: string[];
  latest: string;
  invalid?: { version: string; problem: string }[];
}

describe('GET /models', () => {
  it('lists every model folder with its kind and versions, newest last, and the default', async () => {
    const reply = await invoke(models, route('GET', '/models'));
    expect(reply.status).toBe(200);
    expect(reply.json.default).toBe('churn');
    const listed = reply.json.models as Listed[];
    expect(listed.map((m) => ({ name: m.name, kind: m.kind, versions: m.versions, latest: m.latest }))).toEqual(
      deployed.map((m) => ({ name: m.name, kind: m.versions.at(-1)!.manifest?.kind ?? null, versions: m.versions.map((v) => v.version), latest: m.versions.at(-1)!.version })),
    );
    expect(listed.find((m) => m.name === 'churn')?.kind).toBe('binary-classification');
    expect(listed.find((m) => m.name === 'intent')?.kind).toBe('text-classification');
    // The committed folders are all valid.
    expect(listed.filter((m) => m.invalid)).toEqual([]);
  });
});

describe('GET /models/{name}', () => {
  it('describes the churn model: kind, inputs, output, version, metrics and the request schema', async () => {
    const manifest = churnManifest();
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'churn' }));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      name: 'churn',
      version: manifest.version,
      kind: 'binary-classification',
      sha256: manifest.sha256,
      inputs: manifest.features,
      output: manifest.output,
      // A version added with model:add has no training metrics: the route says null.
      metrics: (manifest.training as { metrics?: unknown }).metrics ?? null,
    });
    const schema = reply.json.request_schema as { oneOf: [{ required: string[]; properties: Record<string, unknown> }, unknown] };
    const [record, batch] = schema.oneOf;
    expect(record.required).toEqual(manifest.features.map((f) => f.name));
    expect(Object.keys(record.properties)).toEqual(manifest.features.map((f) => f.name));
    expect(batch).toEqual({ type: 'object', required: ['instances'], properties: { instances: { type: 'array', minItems: 1, items: record } } });
  });

  it('describes the intent model: its text input, labels and output', async () => {
    const manifest = manifestOf('intent');
    if (manifest.kind !== 'text-classification') throw new Error('intent is not a text classifier');
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'intent' }));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      name: 'intent',
      kind: 'text-classification',
      inputs: [{ name: manifest.text.field, type: 'text', maxLength: manifest.text.maxLength }],
      labels: manifest.labels,
      output: manifest.output,
    });
    const [record] = (reply.json.request_schema as { oneOf: { required: string[] }[] }).oneOf;
    expect(record!.required).toEqual([manifest.text.field]);
  });

  it('answers an unknown model with 404 model_not_found naming the deployed models', async () => {
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'fraud' }));
    expect(reply.status).toBe(404);
    expect(isErrorBody(reply.json)).toBe(true);
    expect(reply.json.code).toBe('model_not_found');
    expect(reply.json.error).toBe(`no model named "fraud"; deployed models: ${deployed.map((m) => m.name).join(', ')}`);
  });
});

describe('a model folder whose manifest is invalid', () => {
  let root: string;

  beforeAll(() => {
    root = scratchModelsDir(true);
    const broken = path.join(root, 'broken', '1.0.0');
    cpSync(path.join(modelsDir, 'churn', parityFixture('churn').version), broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(broken, 'model.json'), 'utf8'));
    // The format before kinds: "task" instead of "kind".
    manifest.name = 'broken';
    manifest.version = '1.0.0';
    manifest.task = manifest.kind;
    delete manifest.kind;
    writeFileSync(path.join(broken, 'model.json'), JSON.stringify(manifest));
    useModelsDir(root);
  });

  afterAll(() => removeModelsDir(root));

  it('is listed with kind null and the reason, beside the valid models', async () => {
    const reply = await invoke(models, route('GET', '/models'));
    expect(reply.status).toBe(200);
    const listed = reply.json.models as Listed[];
    // The scratch folder holds the bundled models (helpers/models-dir.ts), whatever else models/ holds.
    expect(listed.map((m) => m.name)).toEqual([...new Set(trainedVersions().map((v) => v.name)), 'broken'].sort());
    expect(listed.find((m) => m.name === 'broken')).toEqual({
      name: 'broken',
      kind: null,
      description: null,
      versions: ['1.0.0'],
      latest: '1.0.0',
      invalid: [{ version: '1.0.0', problem: expect.stringMatching(/^model\.json is invalid: \/kind must be one of /) }],
    });
    expect(listed.find((m) => m.name === 'churn')).not.toHaveProperty('invalid');
  });

  it('answers its routes with 503 model_unavailable and the reason', async () => {
    const replies = [
      await invoke(models, route('GET', '/models/{name}', { name: 'broken' })),
      await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'broken' }), json: parityFixture().cases[0]!.input }),
      await invoke(metadata, route('GET', '/v2/models/{name}', { name: 'broken' })),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(503);
      expect(isErrorBody(reply.json)).toBe(true);
      expect(reply.json.code).toBe('model_unavailable');
      expect(reply.json.error).toMatch(/^model unavailable: model\.json is invalid: \/kind must be one of /);
    }
    const ready = await invoke(metadata, route('GET', '/v2/models/{name}/ready', { name: 'broken' }));
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ name: 'broken', ready: false, reason: expect.stringMatching(/^model\.json is invalid: \/kind must be one of /), error: expect.stringContaining('model "broken" is not ready: model.json is invalid') });
  });

  it('holds back server readiness, as any model that cannot serve does, while the others serve', async () => {
    const ready = await invoke(metadata, route('GET', '/v2/health/ready'));
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ live: true, ready: false, not_ready: ['broken'], error: 'models not ready: broken' });
    expect((await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: parityFixture().cases[0]!.input })).status).toBe(200);
  });
});

describe('a version folder whose model.json was deleted', () => {
  let root: string;

  beforeAll(() => {
    root = scratchModelsDir(true);
    // churn 1.0.0 stays; 2.0.0 is a copy whose manifest is gone, the newest version.
    const version = parityFixture('churn').version;
    cpSync(path.join(modelsDir, 'churn', version), path.join(root, 'churn', '2.0.0'), { recursive: true });
    rmSync(path.join(root, 'churn', '2.0.0', 'model.json'));
    useModelsDir(root);
  });

  afterAll(() => removeModelsDir(root));

  it('is a broken version, not a missing one: its routes answer 503 "model.json is missing", never 404 or the older version', async () => {
    const listed = (await invoke(models, route('GET', '/models'))).json.models as Listed[];
    expect(listed.find((m) => m.name === 'churn')).toMatchObject({ versions: [parityFixture('churn').version, '2.0.0'], invalid: [{ version: '2.0.0', problem: 'model.json is missing' }] });
    for (const reply of [
      await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: parityFixture().cases[0]!.input }),
      await invoke(predict, { ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: '2.0.0' }), json: parityFixture().cases[0]!.input }),
      await invoke(models, route('GET', '/models/{name}', { name: 'churn' })),
    ]) {
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ code: 'model_unavailable', error: 'model unavailable: model.json is missing' });
    }
  });

  it('is not ready, and holds server readiness back', async () => {
    const model = await invoke(metadata, route('GET', '/v2/models/{name}/ready', { name: 'churn' }));
    expect(model.status).toBe(503);
    expect(model.json).toMatchObject({ ready: false, reason: 'model.json is missing' });
    const server = await invoke(metadata, route('GET', '/v2/health/ready'));
    expect(server.status).toBe(503);
    expect(server.json).toMatchObject({ ready: false, not_ready: ['churn'] });
  });
});

describe('a model whose file is corrupt', () => {
  let root: string;

  beforeAll(() => {
    root = scratchModelsDir(true);
    const version = parityFixture('churn').version;
    writeFileSync(path.join(root, 'churn', version, 'model.onnx'), 'not an onnx file');
    useModelsDir(root);
  });

  afterAll(() => removeModelsDir(root));

  it('is described by GET /models/{name}, which says it is not ready and why; a sound model says ready', async () => {
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'churn' }));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ name: 'churn', ready: false, reason: expect.stringMatching(/^sha256 mismatch: model\.onnx is [0-9a-f]{64}, the manifest expects/) });
    const intent = await invoke(models, route('GET', '/models/{name}', { name: 'intent' }));
    expect(intent.json).toMatchObject({ ready: true });
    expect(intent.json).not.toHaveProperty('reason');
  });
});
