import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { execFileSync } from 'node:child_process';
import { repoRoot } from './models';

/** An OpenAPI document, as far as the tests read it. */
export interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown>; parameters: Record<string, unknown> };
  security: Record<string, string[]>[];
}

export interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: { $ref: string }[];
  requestBody?: { content: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, { content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }> }> }>;
}

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * The maintained validator @seriousme/openapi-schema-validator (the OpenAPI
 * Initiative's JSON schemas for 3.0, 3.1 and 3.2, and every $ref resolved),
 * run in a Node process of its own because the package is ESM only.
 */
export function validateWithOpenApiValidator(document: unknown): { valid: boolean; errors?: unknown } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, input: JSON.stringify(document), encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out) as { valid: boolean; errors?: unknown };
}

/** The operations of the document: [path, method, operation]. */
export function operations(document: OpenApiDocument): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => [path, method, op as Operation] as [string, string, Operation]),
  );
}

/** Template paths: those a route serves as written (concrete per-model paths say which template serves them in x-template). */
export function templatePaths(document: OpenApiDocument): string[] {
  return Object.entries(document.paths)
    .filter(([, item]) => !('x-template' in item))
    .map(([path]) => path);
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Validators for the document's own schemas, JSON Schema 2020-12 as OpenAPI
 * 3.1 has them, with Ajv's strict mode: a schema with a typo or a keyword
 * Ajv does not know fails to compile.
 */
export class DocumentSchemas {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: OpenApiDocument) {
    // The OpenAPI keywords around the schemas are not JSON Schema: declared so that strict mode lets them be.
    for (const keyword of ['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security']) this.ajv.addKeyword(keyword);
    this.ajv.addSchema(document as unknown as Record<string, unknown>, 'openapi');
  }

  /** The validator of a schema at a JSON pointer into the document, e.g. pointer('paths', '/predict', 'post', ...). */
  at(...parts: string[]): ValidateFunction {
    const ref = `openapi#/${pointer(...parts)}`;
    let validate = this.compiled.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, validate);
    }
    return validate;
  }

  /** The schema of an operation's answer for a status (or its range, 5XX) and content type. */
  response(path: string, method: string, status: number, contentType: string): ValidateFunction {
    const op = this.document.paths[path]?.[method] as Operation | undefined;
    if (!op) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    const key = String(status) in op.responses ? String(status) : `${String(status)[0]}XX`;
    const media = op.responses[key]?.content;
    if (!media) throw new Error(`${method.toUpperCase()} ${path} documents no ${status} answer`);
    const type = Object.keys(media).find((t) => contentType.startsWith(t));
    if (!type) throw new Error(`${method.toUpperCase()} ${path} ${status} documents ${Object.keys(media).join(', ')}, not ${contentType}`);
    return this.at('paths', path, method, 'responses', key, 'content', type, 'schema');
  }

  /** The schema of an operation's request body of a content type. */
  request(path: string, method: string, contentType = 'application/json'): ValidateFunction {
    return this.at('paths', path, method, 'requestBody', 'content', contentType, 'schema');
  }
}
