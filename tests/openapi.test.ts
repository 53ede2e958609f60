import type { APIGatewayProxyResult } from 'aws-lambda';
import { handler as docsHandler } from '../handlers/docs';
import { handler as healthHandler } from '../handlers/health';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { handler as monitoringHandler } from '../handlers/monitoring';
import { handler as batchJobsHandler } from '../handlers/batch-jobs';
import { handler as inferHandler } from '../handlers/v2-infer';
import { handler as metadataHandler } from '../handlers/v2-metadata';
import { DOCS_ASSETS } from '../lib/protocols/openapi/docs-page';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { kindOf } from '../lib/kinds';
import { findVersion, listModels } from '../lib/repository/model-repository';
import { apiEvent, lambdaContext, type EventOptions, type HttpHandler } from './helpers/lambda';
import { manifestOf, modelsDir, served } from './helpers/models';
import { DocumentSchemas, operations, templatePaths, validateWithOpenApiValidator, type OpenApiDocument, type Operation } from './helpers/openapi';
import { route } from './helpers/routes';
import { REQUEST_FORMATS } from '../lib/protocols/rest/formats';
import { EXAMPLE_REQUEST } from '../scripts/model-add/main';

const h = (handler: unknown) => handler as HttpHandler;
const docs = h(docsHandler);

async function call(handler: HttpHandler, options: EventOptions): Promise<APIGatewayProxyResult> {
  return handler(apiEvent(options), lambdaContext());
}

async function fetchDocument(): Promise<OpenApiDocument> {
  const result = await call(docs, route('GET', '/openapi.json'));
  expect(result.statusCode).toBe(200);
  return JSON.parse(result.body) as OpenApiDocument;
}

const deployed = listModels(modelsDir);
const goldenOf = (name: string) => served(name).golden.filter((c) => c.request !== undefined);

/**
 * A model's first golden case as a request: its JSON, or its file (a picture)
 * base64-encoded as API Gateway sends bodies. A tensor model's cases are
 * seeded (inputs drawn from a seed, no request written down): its
 * example-request.json, which model:add writes beside every tensor model.
 */
function goldenRequestOptions(name: string): EventOptions {
  const golden = served(name).golden[0]!;
  if (golden.request !== undefined) return { body: JSON.stringify(golden.request) };
  const dir = findVersion(name, undefined, modelsDir).dir;
  if (golden.file === undefined) return { body: readFileSync(path.join(dir, EXAMPLE_REQUEST), 'utf8') };
  const bytes = readFileSync(path.join(dir, golden.file));
  return { body: bytes.toString('base64'), isBase64Encoded: true, headers: { 'content-type': golden.content_type! } };
}

/** Whether a model has a request to send: a golden case with one, or the example model:add writes (a model added by hand may have neither). */
const hasRequest = (name: string): boolean => {
  const golden = served(name).golden[0];
  return golden !== undefined && (golden.request !== undefined || golden.file !== undefined || existsSync(path.join(findVersion(name, undefined, modelsDir).dir, EXAMPLE_REQUEST)));
};

describe('GET /openapi.json', () => {
  let document: OpenApiDocument;
  let schemas: DocumentSchemas;

  beforeAll(async () => {
    document = await fetchDocument();
    schemas = new DocumentSchemas(document);
  });

  it('is valid OpenAPI 3.1 for the maintained validator @seriousme/openapi-schema-validator', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validateWithOpenApiValidator(document)).toMatchObject({ valid: true });
  });

  it('is refused by that validator when broken (the check can fail)', () => {
    const broken = { ...document, paths: { ...document.paths, '/predict': { post: { responses: 'none' } } } };
    expect(validateWithOpenApiValidator(broken).valid).toBe(false);
    const dangling = { ...document, paths: { ...document.paths, '/health': { get: { responses: { '200': { $ref: '#/components/responses/Nope' } } } } } };
    expect(validateWithOpenApiValidator(dangling).valid).toBe(false);
  });

  it('compiles every schema it holds with Ajv 2020 in strict mode', () => {
    for (const name of Object.keys(document.components.schemas)) expect(() => schemas.at('components', 'schemas', name)).not.toThrow();
  });

  it('requires the x-api-key header on every route but the docs, through one apiKey scheme', () => {
    expect(document.components.securitySchemes).toEqual({ apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }) });
    expect(document.security).toEqual([{ apiKey: [] }]);
    const open = operations(document).filter(([, , op]) => op.security !== undefined);
    expect(open.map(([path, method, op]) => [path, method, op.security])).toEqual([
      ['/openapi.json', 'get', []],
      ['/docs', 'get', []],
      ['/docs/{asset}', 'get', []],
    ]);
  });

  it('documents every error answer with the one error body', () => {
    for (const [path, method, op] of operations(document)) {
      for (const [status, answer] of Object.entries(op.responses)) {
        if (status.startsWith('2')) continue;
        const schema = answer.content?.['application/json']?.schema as { $ref?: string; oneOf?: { $ref: string }[] };
        const refs = schema.$ref ? [schema.$ref] : schema.oneOf!.map((s) => s.$ref);
        expect({ path, method, status, error: refs.includes('#/components/schemas/Error') }).toEqual({ path, method, status, error: true });
      }
    }
  });

  // The models whose requests are records (every table format applies): what a model:add'ed picture or tensor model takes is tests/openapi-kinds.test.ts's.
  const recordModels = deployed.filter((m) => kindOf(manifestOf(m.name, served(m.name).version)).records).map((m) => m.name);
  it.each(recordModels)("gives %s a predict path of its own, with its request and answer schemas and its golden cases as examples", (name) => {
    const version = served(name).version;
    const op = document.paths[`/models/${name}/predict`]?.post as Operation;
    expect(document.paths[`/models/${name}/predict`]!['x-template']).toBe('/models/{name}/predict');
    const request = op.requestBody!.content['application/json']!;
    // The model's own JSON first, then the table formats its kind takes (lib/protocols/rest/formats).
    const tables = REQUEST_FORMATS.filter((f) => f.mediaType === 'application/json' && f.id !== 'model-json');
    expect((request.schema as { anyOf: unknown[] }).anyOf).toEqual([
      { $ref: `#/components/schemas/${name}.${version}.request` },
      ...tables.map((f) => expect.objectContaining({ title: f.title })),
    ]);
    expect(Object.keys(op.requestBody!.content)).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(op.responses['200']!.content!)).toEqual(['application/json', 'text/csv']);
    const answer = op.responses['200']!.content!['application/json']!;
    expect(answer.schema).toEqual({ $ref: `#/components/schemas/${name}.${version}.answer` });
    const golden = goldenOf(name);
    expect(golden.length).toBeGreaterThan(0);
    expect(Object.values(request.examples!).map((e) => e.value)).toEqual(golden.slice(0, 3).map((c) => c.request));
    expect(Object.values(answer.examples!).map((e) => e.value)).toEqual(golden.slice(0, 3).map((c) => ({ ...(c.answer as object), model: { name, version } })));
  });

  it('publishes as request schema the one GET /models/{name} publishes (one source)', async () => {
    for (const { name } of deployed) {
      const detail = await call(h(modelsHandler), route('GET', '/models/{name}', { name }));
      const { request_schema: published, version } = JSON.parse(detail.body) as { request_schema: Record<string, unknown>; version: string };
      const { description, ...inDocument } = document.components.schemas[`${name}.${version}.request`] as Record<string, unknown>;
      expect(typeof description).toBe('string');
      expect(inDocument).toEqual(published);
    }
  });

  it('holds examples that its own schemas accept, and schemas that refuse what the API refuses', () => {
    for (const [path, method, op] of operations(document)) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        for (const [key, example] of Object.entries(media.examples ?? {})) {
          const validate = schemas.request(path, method, type);
          expect({ path, key, valid: validate(example.value), errors: validate.errors }).toEqual({ path, key, valid: true, errors: null });
        }
      }
      for (const [status, answer] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(answer.content ?? {})) {
          for (const [key, example] of Object.entries(media.examples ?? {})) {
            const validate = schemas.response(path, method, /^\dXX$/.test(status) ? Number(status[0]) * 100 : Number(status), type);
            expect({ path, key, valid: validate(example.value), errors: validate.errors }).toEqual({ path, key, valid: true, errors: null });
          }
        }
      }
    }
    // The churn answer schema refuses a probability above 1, a field it does not have, and a batch without answers.
    const answer = schemas.at('components', 'schemas', `churn.${served('churn').version}.answer`);
    const model = { name: 'churn', version: served('churn').version };
    expect(answer({ churn_probability: 0.5, churn: true, model })).toBe(true);
    expect(answer({ churn_probability: 1.5, churn: true, model })).toBe(false);
    expect(answer({ churn_probability: 0.5, churn: true, model, extra: 1 })).toBe(false);
    expect(answer({ churn_probability: 0.5, churn: true, model: { name: 'intent', version: model.version } })).toBe(false);
    expect(answer({ predictions: [{ churn_probability: 0.5, churn: true, model }], model })).toBe(false);
  });

  it('names the server as the request came in: the stage on API Gateway (and npm start), a custom domain\'s base path', async () => {
    const server = async (context: { path: string; stage: string }) => {
      const event = apiEvent(route('GET', '/openapi.json'));
      event.requestContext.path = context.path;
      event.requestContext.stage = context.stage;
      return (JSON.parse((await docs(event, lambdaContext())).body) as OpenApiDocument).servers;
    };
    expect(await server({ path: '/prod/openapi.json', stage: 'prod' })).toEqual([expect.objectContaining({ url: '/prod' })]);
    expect(await server({ path: '/v1/openapi.json', stage: 'prod' })).toEqual([expect.objectContaining({ url: '/v1' })]);
    expect(await server({ path: '/openapi.json', stage: 'prod' })).toEqual([expect.objectContaining({ url: '' })]);
    expect(await server({ path: '/local/openapi.json', stage: 'local' })).toEqual([expect.objectContaining({ url: '/local' })]);
  });
});

/**
 * One real call per operation of the document (and more where a route has
 * several answers), through the handlers as Lambda runs them; each answer is
 * validated against the schema the document gives for its status.
 */
describe('every route answers as its own document says', () => {
  const churn = goldenOf('churn')[0]!.request as Record<string, unknown>;
  const intent = goldenOf('intent')[0]!.request as Record<string, unknown>;
  const churnVersion = served('churn').version;
  const intentVersion = served('intent').version;
  const json = (body: unknown) => ({ body: JSON.stringify(body) });
  const inferBody = { inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['hello', 'my bill is wrong'] }] };

  // [handler, method, template, params, request options, expected status, the concrete path it stands for]
  type Call = [unknown, string, string, Record<string, string>, EventOptions, number, string?];
  const calls: Call[] = [
    [predictHandler, 'POST', '/predict', {}, json(churn), 200],
    [predictHandler, 'POST', '/predict', {}, json({ instances: [churn, { ...churn, customerid: 'x' }] }), 200],
    [predictHandler, 'POST', '/predict', {}, json({ ...churn, tenure: -1 }), 400],
    [predictHandler, 'POST', '/predict', {}, { body: '{' }, 400],
    [predictHandler, 'POST', '/predict', {}, { body: 'a', headers: { 'content-type': 'text/plain' } }, 415],
    [predictHandler, 'POST', '/models/{name}/predict', { name: 'intent' }, json(intent), 200],
    [predictHandler, 'POST', '/models/{name}/predict', { name: 'intent' }, json({ instances: [intent, intent] }), 200, '/models/intent/predict'],
    [predictHandler, 'POST', '/models/{name}/predict', { name: 'churn' }, json(churn), 200, '/models/churn/predict'],
    [predictHandler, 'POST', '/models/{name}/predict', { name: 'fraud' }, json(churn), 404],
    [predictHandler, 'POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: churnVersion }, json(churn), 200],
    [predictHandler, 'POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: churnVersion }, json(churn), 200, `/models/churn/versions/${churnVersion}/predict`],
    [predictHandler, 'POST', '/models/{name}/versions/{version}/predict', { name: 'intent', version: intentVersion }, json(intent), 200, `/models/intent/versions/${intentVersion}/predict`],
    [predictHandler, 'POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: '0.0.0' }, json(churn), 404],
    [predictHandler, 'POST', '/models/{name}/labels/{label}/predict', { name: 'intent', label: 'stable' }, json(intent), 200],
    [predictHandler, 'POST', '/models/{name}/labels/{label}/predict', { name: 'intent', label: 'nope' }, json(intent), 404],
    [modelsHandler, 'GET', '/models', {}, {}, 200],
    [modelsHandler, 'GET', '/models/{name}', { name: 'churn' }, {}, 200],
    [modelsHandler, 'GET', '/models/{name}', { name: 'intent' }, {}, 200],
    [modelsHandler, 'GET', '/models/{name}', { name: 'fraud' }, {}, 404],
    [modelsHandler, 'GET', '/models/{name}/versions/{version}', { name: 'churn', version: churnVersion }, {}, 200],
    [modelsHandler, 'GET', '/models/{name}/versions/{version}', { name: 'churn', version: '0.0.0' }, {}, 404],
    [healthHandler, 'GET', '/health', {}, {}, 200],
    [metadataHandler, 'GET', '/v2', {}, {}, 200],
    [metadataHandler, 'GET', '/v2/health/live', {}, {}, 200],
    [metadataHandler, 'GET', '/v2/health/ready', {}, {}, 200],
    [metadataHandler, 'GET', '/v2/models/{name}', { name: 'churn' }, {}, 200],
    [metadataHandler, 'GET', '/v2/models/{name}', { name: 'fraud' }, {}, 404],
    [metadataHandler, 'GET', '/v2/models/{name}/versions/{version}', { name: 'intent', version: intentVersion }, {}, 200],
    [metadataHandler, 'GET', '/v2/models/{name}/ready', { name: 'churn' }, {}, 200],
    [metadataHandler, 'GET', '/v2/models/{name}/versions/{version}/ready', { name: 'churn', version: churnVersion }, {}, 200],
    [metadataHandler, 'GET', '/v2/models/{name}/versions/{version}/ready', { name: 'churn', version: '0.0.0' }, {}, 404],
    [inferHandler, 'POST', '/v2/models/{name}/infer', { name: 'intent' }, json({ id: '7', ...inferBody }), 200],
    [inferHandler, 'POST', '/v2/models/{name}/infer', { name: 'intent' }, json({ inputs: 3 }), 400],
    [inferHandler, 'POST', '/v2/models/{name}/versions/{version}/infer', { name: 'intent', version: intentVersion }, json(inferBody), 200],
    [monitoringHandler, 'POST', '/models/{name}/feedback', { name: 'churn' }, json({ inference_id: 'abc/0', actual: true }), 200],
    [monitoringHandler, 'POST', '/models/{name}/feedback', { name: 'intent' }, json({ feedback: [{ inference_id: 'abc', actual: 'praise' }] }), 200],
    [monitoringHandler, 'POST', '/models/{name}/feedback', { name: 'intent' }, json({ inference_id: 'abc', actual: 'joy' }), 400],
    [monitoringHandler, 'POST', '/models/{name}/feedback', { name: 'fraud' }, json({ inference_id: 'abc', actual: true }), 404],
    [monitoringHandler, 'GET', '/models/{name}/monitoring', { name: 'churn' }, {}, 200],
    [monitoringHandler, 'GET', '/models/{name}/monitoring', { name: 'fraud' }, {}, 404],
    // No batch state machine here (npm start's settings): 503; its 202 and 200 are validated against this document in tests/batch-jobs.test.ts.
    [batchJobsHandler, 'POST', '/models/{name}/batch-jobs', { name: 'churn' }, json({ input: 's3://bucket/in/customers.csv', output: 's3://bucket/out/' }), 503],
    [batchJobsHandler, 'GET', '/models/{name}/batch-jobs/{id}', { name: 'churn', id: '7d0c3f9e-1111-4222-8333-444455556666' }, {}, 503],
    // Every other deployed model (one model:add put in models/) on its own paths, with its first golden request.
    ...deployed
      .filter((m) => m.name !== 'churn' && m.name !== 'intent' && hasRequest(m.name))
      .flatMap((m): Call[] => {
        const { version } = served(m.name);
        const options = goldenRequestOptions(m.name);
        return [
          [predictHandler, 'POST', '/models/{name}/predict', { name: m.name }, options, 200, `/models/${m.name}/predict`],
          [predictHandler, 'POST', '/models/{name}/versions/{version}/predict', { name: m.name, version }, options, 200, `/models/${m.name}/versions/${version}/predict`],
        ];
      }),
    [docsHandler, 'GET', '/openapi.json', {}, {}, 200],
    [docsHandler, 'GET', '/docs', {}, {}, 200],
    ...DOCS_ASSETS.map((asset): Call => [docsHandler, 'GET', '/docs/{asset}', { asset }, {}, 200]),
    [docsHandler, 'GET', '/docs/{asset}', { asset: 'secrets.txt' }, {}, 404],
  ];

  let document: OpenApiDocument;
  let schemas: DocumentSchemas;
  const answered: string[] = [];

  beforeAll(async () => {
    document = await fetchDocument();
    schemas = new DocumentSchemas(document);
  });

  it.each(calls.map((c) => [`${c[1]} ${c[6] ?? c[2]} ${JSON.stringify(c[3])} → ${c[5]}`, c] as const))('%s', async (_, [handler, method, template, params, options, status, concrete]) => {
    const path = concrete ?? template;
    const result = await call(h(handler), route(method, template, params, options));
    expect(result.statusCode).toBe(status);
    const contentType = String(result.headers?.['content-type'] ?? result.headers?.['Content-Type']);
    const validate = schemas.response(path, method.toLowerCase(), status, contentType);
    const body = contentType.startsWith('application/json') ? JSON.parse(result.body) : result.body;
    expect({ valid: validate(body), errors: validate.errors }).toEqual({ valid: true, errors: null });
    if (options.body && !options.isBase64Encoded && contentType.startsWith('application/json') && status === 200) {
      // The request that got this answer is one the document describes.
      const request = schemas.request(path, method.toLowerCase());
      expect({ request: request(JSON.parse(options.body)), errors: request.errors }).toEqual({ request: true, errors: null });
    }
    answered.push(`${method.toLowerCase()} ${path} ${status}`);
  });

  /** Step Functions cannot run here: the batch-job routes' own success answers are validated against this document in tests/batch-jobs.test.ts, with a stand-in. */
  const NEEDS_STEP_FUNCTIONS = ['post /models/{name}/batch-jobs', 'get /models/{name}/batch-jobs/{id}'];

  it('has called every operation of the document, template and per model, with its success status', () => {
    const documented = operations(document)
      .filter(([path, method]) => !NEEDS_STEP_FUNCTIONS.includes(`${method} ${path}`))
      .map(([path, method, op]) => `${method} ${path} ${Object.keys(op.responses).find((status) => status.startsWith('2'))}`);
    expect(NEEDS_STEP_FUNCTIONS.every((o) => operations(document).some(([path, method]) => `${method} ${path}` === o))).toBe(true);
    expect(documented.filter((o) => !answered.includes(o))).toEqual([]);
    expect(templatePaths(document).length).toBeGreaterThan(15);
  });
});

describe('GET /docs', () => {
  it('answers an HTML page with its own Content-Security-Policy: scripts and styles from this origin, no inline script, no eval', async () => {
    const result = await call(docs, route('GET', '/docs'));
    expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(result.headers?.['Content-Security-Policy']);
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
    expect(directives).toMatchObject({ 'default-src': "'none'", 'script-src': "'self'", 'style-src': "'self'", 'connect-src': "'self'", 'img-src': "'self' data:", 'frame-ancestors': "'none'" });
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|sandbox|trusted-types/);
    // No inline script: every <script> loads a file of this origin.
    expect(result.body.match(/<script[^>]*>/g)).toEqual(['<script src="/test/docs/swagger-ui-bundle.js">', '<script src="/test/docs/start.js">']);
    expect(result.body).toContain('data-openapi="/test/openapi.json"');
  });

  it('serves Swagger UI from the package that ships it, and nothing but its files', async () => {
    const bundle = await call(docs, route('GET', '/docs/{asset}', { asset: 'swagger-ui-bundle.js' }));
    expect(bundle.headers?.['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bundle.body).toContain('SwaggerUIBundle');
    // Lambda answers at most 6 MB.
    expect(Buffer.byteLength(bundle.body)).toBeLessThan(5 * 1024 * 1024);
    for (const asset of ['../package.json', '%2e%2e%2fpackage.json', 'index.html', '__proto__']) {
      const result = await call(docs, route('GET', '/docs/{asset}', { asset }));
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body)).toMatchObject({ code: 'not_found' });
    }
  });
});
