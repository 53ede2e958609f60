import type { ValidateFunction } from 'ajv';
import { compileSchema } from '../ajv';
import { ModelLoadError } from '../errors';
import { isKindName, KIND_NAMES, KINDS, kindOf, type KindName, type Manifest } from '../kinds';
import { joinManifestSchema } from '../manifest/base';

/** The JSON schema of a whole manifest of one kind: the shared fields plus the kind's own (lib/manifest/base.ts, joinManifestSchema). */
export function manifestSchema(kind: KindName): Record<string, unknown> {
  return joinManifestSchema(kind, KINDS[kind].manifestFields);
}

// Compiled on first use: a container loads one or two kinds of model.
const validators = new Map<KindName, ValidateFunction>();
function validatorFor(kind: KindName): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    validate = compileSchema(manifestSchema(kind));
    validators.set(kind, validate);
  }
  return validate;
}

function invalid(reason: string): ModelLoadError {
  return new ModelLoadError(`model.json is invalid: ${reason}`);
}

/**
 * Parses model.json and checks it is whole and internally consistent. The
 * reason names what is wrong and, for a missing or wrong field, which kinds
 * and fields are valid, so the 503 a broken folder answers says how to mend it.
 */
export function parseManifest(text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelLoadError('model.json is not valid JSON');
  }
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (!isKindName(kind)) throw invalid(`/kind must be one of ${KIND_NAMES.join(', ')}`);
  const validate = validatorFor(kind);
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    const fields = Object.keys((manifestSchema(kind).properties as object) ?? {}).join(', ');
    throw invalid(`${first?.instancePath || '/'} ${first?.message ?? ''} (a "${kind}" manifest has the fields ${fields})`.replace(/ +/g, ' '));
  }
  const manifest = raw as Manifest;
  const problem = kindOf(manifest).check(manifest);
  if (problem) throw invalid(problem);
  return manifest;
}
