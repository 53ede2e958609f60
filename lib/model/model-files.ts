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
