import Ajv from 'ajv';
import { manifestSchemas } from '../lib/manifest';
import { inferenceRequestSchema } from '../lib/open-inference';
import { recordSchema } from '../lib/tasks/schemas';
import { manifestOf } from './helpers/models';

/** At run time schemas are compiled unchecked (lib/ajv.ts); here each is checked against the meta-schema, strictly. */
const checking = new Ajv({ allErrors: true, strict: true, strictNumbers: true, validateSchema: true });

describe('every JSON schema of the service', () => {
  it.each(Object.entries(manifestSchemas))('the %s manifest schema is valid and strict', (_task, schema) => {
    expect(() => checking.compile(schema)).not.toThrow();
  });

  it('the Open Inference Protocol request schema is valid and strict', () => {
    expect(() => checking.compile(inferenceRequestSchema)).not.toThrow();
  });

  it.each(['churn', 'intent'])('the request schema derived from the %s manifest is valid and strict', (name) => {
    expect(() => checking.compile(recordSchema(manifestOf(name)))).not.toThrow();
  });
});
