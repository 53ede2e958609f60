import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { handler as docsHandler } from '../handlers/docs';
import { handler as predictHandler } from '../handlers/predict';
import { kindOf } from '../lib/kinds';
import { findVersion } from '../lib/repository/model-repository';
import { addModel } from '../scripts/model-add/main';
import { invoke, type HttpHandler } from './helpers/lambda';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { DocumentSchemas, validateWithOpenApiValidator, type OpenApiDocument } from './helpers/openapi';
import { route } from './helpers/routes';

/**
 * /openapi.json for models of every kind, as exporters write them: each
 * model's answers, in each request format its kind takes, match the answer
 * schema the document publishes for it.
 */
// An ONNX file, or an export folder (text/…: model.onnx beside its tokenizer).
const fixture = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name.includes('/') ? name : `${name}.onnx`);
/** [model name, fixture, the answer formats its golden requests get]. */
const ADDED = [
  ['plan-change', 'skl_zipmap_classifier', ['record']], // tabular classifier, string labels from the graph's label output
  ['binary-int', 'skl_zipmap_int_classifier', ['record']], // tabular classifier, integer labels
  ['house-price', 'skl_regressor', ['record']], // tabular regressor
  ['ranker', 'torch_multi_io', ['outputs', 'predictions']], // tensor, several inputs and outputs: int64, bool, float64
  ['pooled', 'dynamic_image', ['outputs', 'predictions']], // tensor, dynamic image dimensions
  ['dtypes', 'all_dtypes', ['outputs', 'predictions']], // tensor, every datatype in and out
  ['doubler', 'fixed_3d', ['outputs']], // tensor, fixed shape: columnar format only
  ['intent-bert', 'text/intent-bert', ['predictions', 'record']], // transformer-classification, labels from config.json
  ['embedder', 'text/intent-embedder', ['predictions', 'record']], // text-embedding, mean-pooled
] as const;

const dir = scratchModelsDir(true);
const predict = predictHandler as unknown as HttpHandler;
let document: OpenApiDocument;
let schemas: DocumentSchemas;

beforeAll(async () => {
  useModelsDir(dir);
  for (const [name, file] of ADDED) await addModel({ file: fixture(file), name });
  // image-classification: its requests are pictures (the last test).
  await addModel({ file: fixture('images/shapes_classifier.onnx'), name: 'shapes', image: { labels: fixture('images/shapes_labels.txt') } });
  useModelsDir(dir);
  document = (await invoke(docsHandler as unknown as HttpHandler, route('GET', '/openapi.json'))).json as unknown as OpenApiDocument;
  schemas = new DocumentSchemas(document);
}, 60_000);
afterAll(() => removeModelsDir(dir));

/** The predict bodies a model's golden cases stand for: as recorded, and for tensors also each row as an instance. */
function requestsOf(name: string): unknown[] {
  const { manifest } = findVersion(name);
  return manifest!.golden.cases.flatMap((c) => {
    const request = kindOf(manifest!).goldenRequest(manifest!, c) as { inputs?: unknown };
    if (manifest!.kind !== 'tensor' || manifest!.onnx.inputs.some((i) => typeof i.shape[0] === 'number')) return [request];
    // Row format: instance i holds row i of every input (the bare row when the model has one input).
    const inputs = manifest!.onnx.inputs;
    // A golden request holds its inputs by name (lib/kinds/tensor, goldenRequest).
    const byName = request.inputs as Record<string, unknown[]>;
    const rows = byName[inputs[0]!.name]!.length;
    const instances = Array.from({ length: rows }, (_, i) => (inputs.length === 1 ? byName[inputs[0]!.name]![i] : Object.fromEntries(inputs.map((s) => [s.name, byName[s.name]![i]]))));
    return [request, { instances }];
  });
}

it('is valid OpenAPI 3.1 with every kind of model deployed', () => {
  expect(validateWithOpenApiValidator(document)).toMatchObject({ valid: true });
  for (const [name] of ADDED) expect(Object.keys(document.paths)).toContain(`/models/${name}/predict`);
});

it.each(ADDED)('%s (%s) answers as the document says, in every format its kind takes', async (name, _file, expectedFormats) => {
  const requests = requestsOf(name);
  expect(requests.length).toBeGreaterThan(0);
  const path = `/models/${name}/predict`;
  const answerSchema = schemas.response(path, 'post', 200, 'application/json');
  const requestSchema = schemas.request(path, 'post');
  const formats = new Set<string>();
  for (const body of requests) {
    expect({ request: requestSchema(body), errors: requestSchema.errors }).toEqual({ request: true, errors: null });
    const reply = await invoke(predict, { ...route('POST', '/models/{name}/predict', { name }), json: body });
    expect(reply.status).toBe(200);
    expect({ answer: answerSchema(reply.json), errors: answerSchema.errors }).toEqual({ answer: true, errors: null });
    formats.add(Object.keys(reply.json).find((k) => k === 'predictions' || k === 'outputs') ?? 'record');
  }
  // And an answer of another model is not one of this model's.
  expect(answerSchema({ value: 1, model: { name: 'house-price-2', version: '1.0.0' } })).toBe(false);
  expect([...formats].sort()).toEqual(expectedFormats);
});

it('leaves a model whose manifest is broken out of the schemas, and describes the others as before', async () => {
  mkdirSync(path.join(dir, 'broken', '1.0.0'), { recursive: true });
  writeFileSync(path.join(dir, 'broken', '1.0.0', 'model.json'), '{"name": "broken"');
  useModelsDir(dir);
  const reply = await invoke(docsHandler as unknown as HttpHandler, route('GET', '/openapi.json'));
  expect(reply.status).toBe(200);
  const withBroken = reply.json as unknown as OpenApiDocument & { tags: { name: string; description: string }[] };
  expect(validateWithOpenApiValidator(withBroken)).toMatchObject({ valid: true });
  expect(Object.keys(withBroken.paths).filter((p) => p.includes('broken'))).toEqual([]);
  expect(withBroken.tags.find((t) => t.name === 'model broken')?.description).toMatch(/model\.json/);
  const others = (paths: Record<string, unknown>) => Object.keys(paths).filter((p) => !p.includes('broken'));
  expect(others(withBroken.paths)).toEqual(others(document.paths));
});

it('describes an image model: a file picker for each picture type and the form, top_k in the query, and answers as the document says', async () => {
  const operation = (document.paths['/models/shapes/predict'] as Record<string, { requestBody: { content: Record<string, { schema: Record<string, unknown> }> }; parameters: { name: string; in: string }[] }>).post!;
  const content = operation.requestBody.content;
  expect(Object.keys(content).sort()).toEqual(['application/json', 'image/gif', 'image/jpeg', 'image/png', 'image/webp', 'multipart/form-data']);
  expect(content['image/jpeg']!.schema).toMatchObject({ type: 'string', format: 'binary' });
  expect(content['multipart/form-data']!.schema).toMatchObject({ required: ['image'], properties: { image: { type: 'string', format: 'binary' } } });
  expect(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['top_k']);
  const body = { image: { b64: readFileSync(fixture('images/circle.jpg')).toString('base64') } };
  const requestSchema = schemas.request('/models/shapes/predict', 'post');
  expect(requestSchema(body)).toBe(true);
  const reply = await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'shapes' }), json: body });
  expect(reply.status).toBe(200);
  const answerSchema = schemas.response('/models/shapes/predict', 'post', 200, 'application/json');
  expect({ answer: answerSchema(reply.json), errors: answerSchema.errors }).toEqual({ answer: true, errors: null });
  expect(answerSchema({ label: 'dog', probabilities: { dog: 1 }, model: { name: 'shapes', version: '1.0.0' } })).toBe(false);
});

it('gives every error status real codes with real messages as examples, never generated ones', () => {
  const operation = (document.paths['/models/{name}/predict'] as Record<string, { responses: Record<string, { content: Record<string, { examples?: Record<string, { value: { code: string } }> }> }> }>).post!;
  const codes = Object.values(operation.responses['415']!.content['application/json']!.examples ?? {}).map((e) => e.value.code);
  expect(codes).toEqual(['unsupported_media_type']);
  const errorSchema = schemas.at('components', 'schemas', 'Error');
  expect(errorSchema({ error: 'x', code: 'xenpna_roekvmdggajpcdzagfahgk', details: [], request_id: 'r' })).toBe(false);
});
