import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The Open Inference Protocol's own JSON schemas (tests/spec, with their source and commit). */
const spec = JSON.parse(readFileSync(path.join(__dirname, '..', 'spec', 'open-inference-rest.schemas.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema({ $id: 'oip', schemas: spec.schemas });

export function protocolSchema(name: string): ValidateFunction {
  return ajv.compile({ $ref: `oip#/schemas/${name}` });
}
