import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as errors from '../lib/errors';
import { repoRoot } from './helpers/models';

// The documented error codes (lib/errors.ts ERROR_CODES, the enum of
// /openapi.json's Error schema) are exactly those something can answer: a
// ServiceError class, internal_error, one of serverless.yml's
// GatewayResponses, or a body of resources/ (AWS WAF's custom responses).
describe('ERROR_CODES', () => {
  // The module's exports, read as values: the concrete classes are those whose prototype is a ServiceError's.
  const exported = Object.values(errors as Record<string, unknown>);
  const classes = exported.filter((value): value is new (message: string) => errors.ServiceError => typeof value === 'function' && value.prototype instanceof errors.ServiceError);
  const fromClasses = classes.map((ErrorClass) => new ErrorClass('x').code);
  const templateFiles = [path.join(repoRoot, 'serverless.yml'), ...readdirSync(path.join(repoRoot, 'resources')).map((name) => path.join(repoRoot, 'resources', name))];
  const fromTemplate = templateFiles.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/"code":"([a-z_]+)"/g)].map((m) => m[1]!));

  it('lists every code a class or the gateway answers, and only those', () => {
    expect(fromClasses.length).toBeGreaterThan(10);
    expect(Object.keys(errors.ERROR_CODES).sort()).toEqual([...new Set([...fromClasses, ...fromTemplate, 'internal_error'])].sort());
  });

  it('gives each a real message, as the API words it', () => {
    for (const [code, message] of Object.entries(errors.ERROR_CODES)) {
      expect({ code, message: message.length > 10 && !/^[a-z_]+$/.test(message) }).toEqual({ code, message: true });
    }
  });
});
