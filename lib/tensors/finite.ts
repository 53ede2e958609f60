import { NonFiniteOutput } from '../errors';
import type { InferenceSession } from 'onnxruntime-node';
import { firstNonFinite } from './datatypes';

/**
 * Refuses outputs holding NaN or an infinity (JSON has no such number, and a
 * NaN probability is no answer): 422 naming the output and the row of the
 * batch it belongs to. `where(row)` names the row in the caller's request.
 */
export function assertFinite(outputs: InferenceSession.OnnxValueMapType, names: readonly string[], where: (row: number) => string): void {
  for (const name of names) {
    const tensor = outputs[name];
    if (!tensor) continue;
    const index = firstNonFinite(tensor);
    if (index < 0) continue;
    const rowSize = tensor.dims.slice(1).reduce((a, b) => a * b, 1) || 1;
    const row = Math.floor(index / rowSize);
    const path = where(row);
    throw new NonFiniteOutput(`the model's output "${name}" is not a finite number for ${path ? `the record at ${path}` : 'this record'}; no answer can be given`, [
      { path, problem: `output "${name}" is NaN or infinite` },
    ]);
  }
}
