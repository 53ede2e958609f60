import { lambdaLogicalId, routes as table } from '../../lib/http/routes';
import { openApiDocument } from '../../lib/protocols/openapi/document';
import { operations, templatePaths, type OpenApiDocument } from '../helpers/openapi';
import { routesOf, template, type Template } from './artifacts';
import { stages } from './stages';

/** The function a method's Lambda proxy integration invokes, by its logical id. */
function integrationTarget(t: Template, methodId: string): string | undefined {
  const uri = JSON.stringify(t.Resources[methodId]!.Properties.Integration?.Uri ?? null);
  return Object.keys(t.Resources).find((id) => t.Resources[id]!.Type === 'AWS::Lambda::Function' && uri.includes(`"${id}"`));
}

/**
 * The route table (lib/http/routes.js), which serverless.yml builds its
 * functions from and the handlers dispatch from (tests/dispatch.test.ts),
 * against the compiled template: the same routes, each keyed as the table
 * says and integrated with the table's function.
 */
describe.each(stages)('the route table and the compiled CloudFormation of $name', ({ name }) => {
  const t = template(name);
  const compiled = routesOf(t);

  it('has exactly the routes of the table, keyed as it says, each invoking its function', () => {
    const fromTable = table.map((r) => ({ route: `${r.method} ${r.path}`, keyed: r.keyed !== false, target: lambdaLogicalId(r.function) })).sort((a, b) => a.route.localeCompare(b.route));
    const fromTemplate = compiled.map((r) => ({ route: r.route, keyed: r.keyed, target: integrationTarget(t, r.id) })).sort((a, b) => a.route.localeCompare(b.route));
    expect(fromTemplate).toEqual(fromTable);
  });
});

/**
 * /openapi.json against what `serverless deploy` would create: the same
 * routes under their template paths, both ways, and the same API key
 * requirement on each.
 */
describe.each(stages)('/openapi.json and the compiled CloudFormation of $name', ({ name }) => {
  const document = openApiDocument('/x') as unknown as OpenApiDocument;
  const routes = routesOf(template(name));
  const templates = new Set(templatePaths(document));
  const documented = operations(document).filter(([path]) => templates.has(path));

  it('has every route of the template under its template path, and no template path the template lacks', () => {
    const fromDocument = documented.map(([path, method]) => `${method.toUpperCase()} ${path}`).sort();
    expect(routes.length).toBeGreaterThan(15);
    expect(fromDocument).toEqual(routes.map((r) => r.route).sort());
  });

  it('asks for the API key exactly where API Gateway requires it', () => {
    const keyedInDocument = documented.map(([path, method, op]) => [`${method.toUpperCase()} ${path}`, op.security === undefined ? document.security.length > 0 : op.security.length > 0]);
    expect(Object.fromEntries(keyedInDocument)).toEqual(Object.fromEntries(routes.map((r) => [r.route, r.keyed])));
  });

  it('serves each per-model path by the template route it names', () => {
    const concrete = Object.entries(document.paths).filter(([path]) => !templates.has(path));
    expect(concrete.length).toBeGreaterThan(0);
    for (const [path, item] of concrete) {
      const served = item['x-template'] as string;
      expect(templates.has(served)).toBe(true);
      const pattern = new RegExp(`^${served.replace(/\{\w+\}/g, '[^/]+')}$`);
      expect({ path, served, matches: pattern.test(path) }).toEqual({ path, served, matches: true });
      expect(Object.keys(item).filter((k) => k !== 'x-template')).toEqual(Object.keys(document.paths[served]!));
    }
  });
});
