import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AJV_OPTIONS, schemaKey, schemasCompiledHere } from '../lib/ajv';
import { KIND_NAMES } from '../lib/kinds';
import { inferenceRequestSchema } from '../lib/protocols/open-inference/infer';
import { listModels } from '../lib/repository/model-repository';
import { manifestSchema } from '../lib/repository/parse-manifest';
import { trafficSchema } from '../lib/repository/parse-traffic';
import { precompiled, type Precompiled } from '../scripts/precompile-validators';
import { modelsDir } from './helpers/models';

/** The generated validators, each file evaluated as the bundle's loader would (its requires resolve from the project), by schema key. */
function evaluate({ module: source, files }: Precompiled): Record<string, ValidateFunction> {
  const load = (code: string, requireFrom: (id: string) => unknown) => {
    const module = { exports: {} as Record<string, unknown> };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the generated code is what this test is about
    new Function('exports', 'require', 'module', '__dirname', code)(module.exports, requireFrom, module, '/bundle');
    return module.exports;
  };
  // The module's own requires: node:path, and each file by its path beside the bundle.
  const fileOf = (id: string) => files[path.relative(path.join('/bundle', 'validators'), id)];
  const table = load(source, (id) => (id === 'node:path' ? path : load(fileOf(id)!, require))).precompiled as Record<string, () => ValidateFunction>;
  return Object.fromEntries(Object.entries(table).map(([key, loadValidator]) => [key, loadValidator()]));
}

const generated = precompiled(modelsDir);
const precompiledValidators = evaluate(generated);
const versions = listModels(modelsDir).flatMap((m) => m.versions);

/** Valid and broken documents of every shape the schemas see; each is checked against every schema. */
function documents(): unknown[] {
  const out: unknown[] = [null, 1, 'text', [], {}, { instances: [] }, { instances: [{}] }];
  for (const version of versions) {
    const manifest = JSON.parse(readFileSync(path.join(version.dir, 'model.json'), 'utf8')) as Record<string, unknown> & { golden: { cases: { request: unknown }[] } };
    out.push(manifest, { ...manifest, version: 1 }, { ...manifest, onnx: {} }, Object.fromEntries(Object.entries(manifest).slice(1)));
    // A case whose request is a file (a picture) has no JSON to vary.
    for (const golden of manifest.golden.cases.filter((c) => typeof c.request === 'object' && c.request !== null)) {
      const request = golden.request as Record<string, unknown>;
      out.push(request, { instances: [request, request] });
      const [first, ...rest] = Object.keys(request);
      if (first !== undefined) {
        out.push({ ...request, [first]: { nested: true } }, Object.fromEntries(rest.map((k) => [k, request[k]])), { ...request, [first]: 1e39 });
      }
    }
  }
  out.push({ split: { '1.0.0': 100 } }, { split: { '1.0.0': 50, '1.1.0': 50 }, shadow: '2.0.0', sticky: 'api_key' }, { split: {}, extra: 1 }, { split: { x: 101 } });
  out.push({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }, { inputs: [{ name: 'x', shape: [1], datatype: 'FP32' }] }, { inputs: 'x' });
  return out;
}

describe('validators precompiled for the bundle (scripts/precompile-validators.ts)', () => {
  it('cover every kind of manifest, the traffic file and the Open Inference request', () => {
    for (const kind of KIND_NAMES) expect(precompiledValidators[schemaKey(manifestSchema(kind))]).toBeInstanceOf(Function);
    expect(precompiledValidators[schemaKey(trafficSchema)]).toBeInstanceOf(Function);
    expect(precompiledValidators[schemaKey(inferenceRequestSchema)]).toBeInstanceOf(Function);
  });

  it('come one file per schema, so a cold start loads only those it uses', () => {
    expect(Object.keys(generated.files)).toHaveLength(Object.keys(precompiledValidators).length);
    expect(generated.dir).toBe('validators');
  });

  it('cover every schema a deployed model compiles when it loads', () => {
    // Generating compiled them in this process, through the same code as loading does.
    const compiled = [...schemasCompiledHere().keys()];
    expect(compiled.length).toBeGreaterThan(KIND_NAMES.length + 2);
    expect(Object.keys(precompiledValidators).sort()).toEqual(compiled.sort());
  });

  it('give the same verdicts and errors as compiling each schema with Ajv', () => {
    const ajv = new Ajv({ ...AJV_OPTIONS });
    const docs = documents();
    let invalid = 0;
    for (const [key, schema] of schemasCompiledHere()) {
      const reference = ajv.compile(schema);
      for (const doc of docs) {
        const valid = precompiledValidators[key]!(doc);
        expect(valid).toBe(reference(doc));
        expect(precompiledValidators[key]!.errors ?? null).toEqual(reference.errors ?? null);
        if (!valid) invalid++;
      }
    }
    expect(invalid).toBeGreaterThan(0);
  });
});
