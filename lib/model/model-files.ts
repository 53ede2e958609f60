import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from '../errors';

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
  const bytes = readModelFile(dir, manifest.file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.sha256) {
    throw new ModelLoadError(`sha256 mismatch: ${manifest.file} is ${sha256}, the manifest expects ${manifest.sha256}`);
  }
  return bytes;
}
