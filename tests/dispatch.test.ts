import { dispatcher } from '../lib/http/dispatch';
import { functions, routes, type FunctionName } from '../lib/http/routes';
import { freshHandlers } from './helpers/handlers';
import { invoke, invokeText, type HttpHandler } from './helpers/lambda';
import { route } from './helpers/routes';

/**
 * The route table (lib/http/routes.js) against the handlers that dispatch
 * from it: every route reaches an operation of its function, anything else is
 * one answer everywhere (404 not_found), and a function whose operations
 * disagree with the table cannot even load.
 */

const h = freshHandlers();
const docs = require('../handlers/docs').handler as HttpHandler;
const handlerOf: Record<FunctionName, HttpHandler> = {
  predict: h.predict,
  health: h.health,
  models: h.models,
  'v2-metadata': h.v2Metadata,
  'v2-infer': h.v2Infer,
  monitoring: h.monitoring,
  'batch-jobs': h.batchJobs,
  docs,
};
// Real values for every path parameter, so each route reaches its code.
const params: Record<string, string> = { name: 'churn', version: '1.0.0', label: 'stable', asset: 'swagger-ui.css', id: '00000000-0000-4000-8000-000000000000' };
const paramsOf = (path: string) => Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, params[m[1]!]!]));

describe('the route table and the handlers', () => {
  it('gives every function of the table at least one route, and every route a function', () => {
    for (const name of Object.keys(functions)) expect({ name, routes: routes.filter((r) => r.function === name).length > 0 }).toEqual({ name, routes: true });
    expect(new Set(routes.map((r) => r.operation)).size).toBe(routes.length);
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
  });

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s reaches an operation of its function', async (_, r) => {
    const reply = await invokeText(handlerOf[r.function], { ...route(r.method, r.path, paramsOf(r.path)), body: '{}' });
    // An HTML page or a file is an operation's answer too; only the dispatcher's 404 says "no such route".
    // (The OpenAPI document quotes that error among its examples: a reply is the dispatcher's 404 when it is that error body.)
    const notFound = reply.status === 404 && (JSON.parse(reply.body) as { error?: string }).error?.startsWith('no such route') === true;
    expect({ route: r.path, notFound }).toEqual({ route: r.path, notFound: false });
  });

  it.each(Object.entries(handlerOf))('%s answers a route it does not serve with 404 not_found, naming the route', async (name, handler) => {
    const foreign = routes.find((r) => r.function !== name && r.method === 'GET')!;
    for (const [method, resource] of [
      ['GET', '/no/such/route'],
      ['DELETE', routes.find((r) => r.function === name)!.path],
      ['GET', foreign.path],
    ] as const) {
      const reply = await invoke(handler, { method, resource, path: resource, headers: { 'content-type': 'application/json' }, body: '{}' });
      expect({ method, resource, status: reply.status, code: reply.json.code }).toEqual({ method, resource, status: 404, code: 'not_found' });
      expect(reply.json.error).toBe(`no such route: ${method} ${resource}`);
    }
  });

  it('refuses to build a function whose operations miss a route of the table, or answer one it does not list', () => {
    const ok = async () => ({ response: { statusCode: 200, body: '' } });
    expect(() => dispatcher('models', { listModels: ok, describeModel: ok })).toThrow(
      'the models function has no operation describeModelVersion for GET /models/{name}/versions/{version} (lib/http/routes.js)',
    );
    expect(() => dispatcher('models', { listModels: ok, describeModel: ok, describeModelVersion: ok, deleteModel: ok })).toThrow(
      'the models function answers deleteModel, which lib/http/routes.js does not give it',
    );
  });
});
