import type { TensorSpec } from '../../manifest/base';
import { hasBatchDim, isDynamic } from '../../tensors/shape';

/**
 * The graph shapes a tabular model has, shared by the kind's manifest check
 * and by model:add, which recognises such graphs.
 */

/** Datatypes of a probability or value output, and of a label output. */
export const FLOAT_DATATYPES: readonly string[] = ['FP32', 'FP64'];
export const LABEL_DATATYPES: readonly string[] = ['BYTES', 'INT64', 'INT32'];

/** One column of a batch: [N, 1]. */
export function isColumn(shape: TensorSpec['shape']): boolean {
  return shape.length === 2 && isDynamic(shape[0]!) && shape[1] === 1;
}

/** One row of `width` values per record: [N, width], or [N] when width is 1. */
export function isBatchVector(shape: TensorSpec['shape'], width: number): boolean {
  return hasBatchDim(shape) && (shape.length === 1 ? width === 1 : shape.length === 2 && shape[1] === width);
}
