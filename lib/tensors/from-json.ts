import type { Tensor } from 'onnxruntime-node';
import { PayloadTooLarge, ValidationFailed } from '../errors';
import type { TensorSpec } from './spec';
import { settings } from '../settings';
import { elementProblem, tensorFrom } from './datatypes';
import { fitsShape, hasBatchDim, shapeText } from './shape';

/**
 * A tensor from request JSON, checked the same way on every route that takes
 * tensors (the tensor kind's predict formats, the Open Inference Protocol).
 * `at` is the JSON pointer of the input in the request.
 */

/**
 * The request's shape must fit the declared one, hold at least one value and
 * at most MAX_BATCH rows. An empty tensor (a 0 anywhere in its shape) is
 * refused on every route, whatever the model: some graphs answer it with
 * empty outputs, others fail inside onnxruntime (a ReduceL2 over no rows), so
 * the one defined answer is a 400, as for an empty "instances".
 */
export function checkShape(spec: TensorSpec, shape: readonly number[], at: string): void {
  if (!fitsShape(spec.shape, shape)) {
    throw new ValidationFailed(`input "${spec.name}" has shape ${shapeText(shape)}; the model takes ${shapeText(spec.shape)}`, [
      { path: at, problem: `shape must fit ${shapeText(spec.shape)}` },
    ]);
  }
  if (shape.includes(0)) {
    throw new ValidationFailed(`input "${spec.name}" has shape ${shapeText(shape)}, which holds no values; send at least one row`, [
      { path: at, problem: 'must hold at least one value (no dimension of 0)' },
    ]);
  }
  const rows = hasBatchDim(spec.shape) ? (shape[0] ?? 1) : 1;
  if (rows > settings.maxBatch()) {
    throw new PayloadTooLarge(`input "${spec.name}" holds ${rows} rows; at most ${settings.maxBatch()} are accepted per request`);
  }
}

/** Checks every element against the datatype, prepares strings as the model's kind does, and builds the tensor. */
export function tensorOf(spec: TensorSpec, shape: readonly number[], values: unknown[], at: string, prepareStrings: (input: string, values: string[]) => string[]): Tensor {
  for (let i = 0; i < values.length; i++) {
    const problem = elementProblem(spec.datatype, values[i]);
    if (problem) throw new ValidationFailed(`input "${spec.name}" value ${i} (row-major) ${problem}`, [{ path: at, problem: `value ${i} ${problem}` }]);
  }
  const data = spec.datatype === 'BYTES' ? prepareStrings(spec.name, values as string[]) : values;
  return tensorFrom(spec.datatype, data, shape);
}
