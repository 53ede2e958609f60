import Ajv from 'ajv';
import { KIND_NAMES, kindOf } from '../lib/kinds';
import { manifestSchema } from '../lib/repository/parse-manifest';
import { inferenceRequestSchema } from '../lib/protocols/open-inference/infer';
import { ANSWER_FORMATS, REQUEST_FORMATS } from '../lib/protocols/rest/formats';
import { listModels } from '../lib/repository/model-repository';
import { trafficSchema } from '../lib/repository/parse-traffic';
import { modelsDir } from './helpers/models';

/** At run time schemas are compiled unchecked (lib/ajv.ts); here each is checked against the meta-schema, strictly. */
const checking = new Ajv({ allErrors: true, strict: true, strictNumbers: true, validateSchema: true });

const deployed = listModels(modelsDir).flatMap((m) => m.versions);

describe('every JSON schema of the service', () => {
  it.each(KIND_NAMES)('the %s manifest schema is valid and strict', (kind) => {
    expect(() => checking.compile(manifestSchema(kind))).not.toThrow();
  });

  it('the Open Inference Protocol request schema is valid and strict', () => {
    expect(() => checking.compile(inferenceRequestSchema)).not.toThrow();
  });

  it('the traffic file schema is valid and strict', () => {
    expect(() => checking.compile(trafficSchema)).not.toThrow();
  });

  it.each(deployed.map((v) => [`${v.name}/${v.version}`, v] as const))('the request schema derived from the %s manifest is valid and strict', (_label, entry) => {
    expect(entry.problem).toBeNull();
    const manifest = entry.manifest!;
    expect(() => checking.compile(kindOf(manifest).requestSchema(manifest))).not.toThrow();
  });

  it.each(deployed.map((v) => [`${v.name}/${v.version}`, v] as const))('the schema of every request and answer format %s takes is valid and strict', (_label, entry) => {
    const manifest = entry.manifest!;
    for (const format of REQUEST_FORMATS.filter((f) => f.takes(manifest))) expect(() => checking.compile(format.schema(manifest))).not.toThrow();
    for (const { schema } of ANSWER_FORMATS) if (schema) expect(() => checking.compile(schema)).not.toThrow();
  });
});
