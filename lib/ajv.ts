import { createHash } from 'node:crypto';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { precompiled } from './validators/precompiled';

/**
 * The one JSON-schema validator of the service, Ajv, with these options
 * everywhere: strictNumbers rejects NaN and Infinity (JSON.parse turns 1e999
 * into Infinity).
 */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictNumbers: true } as const;

/** A schema's identity: the same schema built twice has the same key. */
export function schemaKey(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

let compiler: Ajv | undefined;

/**
 * Ajv's compiler, required only when a schema is not precompiled. The
 * functions' bundles leave it out (scripts/esbuild-plugins.js): in a package
 * every schema is precompiled, and parsing the compiler's code cost ~3 ms of
 * every cold start. Run from the repository (tests, tools, `npm start`), it
 * comes from node_modules.
 */
function loadAjv(): typeof import('ajv') {
  try {
    return require('ajv') as typeof import('ajv');
  } catch {
    throw new Error('a JSON schema was not precompiled into this package and Ajv is not in it: repackage (scripts/precompile-validators.ts)');
  }
}
/** Schemas this process compiled itself, by key: what scripts/precompile-validators.ts writes out ahead of time. */
const compiledHere = new Map<string, object>();

/**
 * The validator of a schema. In the packaged functions every schema they
 * compile (manifests, traffic files, the Open Inference request, each bundled
 * model's records) comes precompiled (lib/validators/precompiled.ts): compiling
 * them was half of a cold start's JavaScript in `npm run bench`
 * (BENCHMARKS.md, "Cold start"). Any other schema (a model added after
 * packaging, the tests) is compiled here, with Ajv itself loaded only then.
 * Compiled unchecked and unoptimised, as that is faster to compile: the
 * precompiled ones are checked and optimised when generated, and
 * tests/schemas.test.ts checks every schema against the meta-schema.
 */
export function compileSchema<T = unknown>(schema: object): ValidateFunction<T> {
  const key = schemaKey(schema);
  const load = precompiled[key];
  if (load) return load() as ValidateFunction<T>;
  compiler ??= new (loadAjv().default)({ ...AJV_OPTIONS, validateSchema: false, code: { optimize: false } });
  compiledHere.set(key, schema);
  // On the process's performance timeline, so a probe or a test of the package can tell that a schema was compiled.
  performance.mark('schema-compiled', { detail: key });
  return compiler.compile<T>(schema);
}

/** Every schema compiled in this process rather than found precompiled, by key. */
export function schemasCompiledHere(): ReadonlyMap<string, object> {
  return compiledHere;
}
