import { sha256Hex } from '../sha256';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors';
import type { CompanionFiles } from '../manifest/base';

// Synchronous on purpose: the default model loads during Lambda's init phase,
// and with no await before InferenceSession.create the file is read, hashed
// and handed to onnxruntime before the module finishes loading.
export function readModelFile(dir: string, name: string): Buffer {
  try {
    return readFileSync(path.join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelLoadError(code === 'ENOENT' ? `${name} is missing` : `${name} cannot be read (${code ?? 'error'})`);
  }
}

/**
 * The model's ONNX file, read and checked against the manifest's sha256
 * before onnxruntime ever sees it: ModelLoadError naming a missing file or a
 * mismatch. The models function runs this check too, without onnxruntime.
 */
export function verifiedModelFile(dir: string, manifest: { file: string; sha256: string }): Buffer {
  return verifiedFile(dir, manifest.file, manifest.sha256);
}

function verifiedFile(dir: string, name: string, expected: string): Buffer {
  const bytes = readModelFile(dir, name);
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected) throw new ModelLoadError(`sha256 mismatch: ${name} is ${sha256}, the manifest expects ${expected}`);
  return bytes;
}

export type { CompanionFiles } from '../manifest/base';

export function verifiedCompanionFiles(dir: string, manifest: { files?: Record<string, { sha256: string }> }): CompanionFiles {
  return new Map(Object.entries(manifest.files ?? {}).map(([name, { sha256 }]) => [name, verifiedFile(dir, name, sha256)]));
}
