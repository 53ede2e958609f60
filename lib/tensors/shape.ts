/**
 * Tensor shapes as manifests hold them and as requests bring them. A
 * dimension in a manifest is a number (fixed), a string (a named dynamic
 * dimension, as exporters write "batch" or "N") or null (dynamic, unnamed).
 */
export type Dim = number | string | null;

export function isDynamic(dim: Dim): boolean {
  return typeof dim !== 'number';
}

/** A shape as messages print it: [N, 3, H, W] or [-1, 45]. */
export function shapeText(shape: readonly (Dim | undefined)[]): string {
  return `[${shape.map((d) => (d === null || d === undefined ? '?' : String(d))).join(', ')}]`;
}

/** The protocol's form of a declared shape: -1 for every dynamic dimension. */
export function protocolShape(shape: readonly Dim[]): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : -1));
}

/** A concrete shape fits a declared one: same rank, fixed dimensions equal. */
export function fitsShape(declared: readonly Dim[], actual: readonly number[]): boolean {
  return declared.length === actual.length && declared.every((d, i) => typeof d !== 'number' || d === actual[i]);
}

/** The rows of a tensor for counting records scored: its first dimension, 1 for a scalar. */
export function leadingDim(dims: readonly number[]): number {
  return dims.length > 0 ? dims[0]! : 1;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The elements of tensor data sent either flat or nested in the given shape,
 * row-major. Nested data must match the shape at every level (rows of 44
 * and 46 values are not a [2, 45] tensor), so a wrong nesting is named,
 * never silently re-cut. Returns the reason when the data does not fit.
 */
export function flattenToShape(data: readonly unknown[], shape: readonly number[]): { values: unknown[] } | { problem: string } {
  const size = elementCount(shape);
  if (!data.some(Array.isArray)) {
    return data.length === size ? { values: [...data] } : { problem: `data holds ${data.length} values; shape ${shapeText(shape)} needs ${size}` };
  }
  const values: unknown[] = [];
  const walk = (node: unknown, depth: number, at: string): string | null => {
    if (depth === shape.length) {
      if (Array.isArray(node)) return `${at} is nested deeper than shape ${shapeText(shape)}`;
      values.push(node);
      return null;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const held = Array.isArray(node) ? `${node.length} items` : 'a single value';
      return `${at} holds ${held}; shape ${shapeText(shape)} needs ${shape[depth]} at depth ${depth}`;
    }
    for (let i = 0; i < node.length; i++) {
      const problem = walk(node[i], depth + 1, `${at}[${i}]`);
      if (problem) return problem;
    }
    return null;
  };
  const problem = walk(data, 0, 'data');
  return problem ? { problem } : { values };
}

/**
 * The shape of nested JSON arrays (TensorFlow Serving's formats carry no
 * shape), or the reason they are not rectangular. A scalar has shape [].
 */
export function inferShape(value: unknown, maxElements: number): { shape: number[]; values: unknown[] } | { problem: string } {
  const shape: number[] = [];
  for (let node = value; Array.isArray(node); node = node[0]) {
    if (node.length === 0) return { problem: 'holds an empty array; a tensor needs at least one element per dimension' };
    shape.push(node.length);
  }
  if (elementCount(shape) > maxElements) return { problem: `holds more than ${maxElements} values` };
  const flat = flattenToShape(shape.length === 0 ? [value] : (value as unknown[]), shape.length === 0 ? [1] : shape);
  if ('problem' in flat) return { problem: `is not rectangular: ${flat.problem}` };
  return { shape, values: flat.values };
}

/** Flat row-major values nested in the given shape (a scalar for shape []). */
export function nest<T>(values: readonly T[], shape: readonly number[]): unknown {
  if (shape.length === 0) return values[0];
  const build = (offset: number, depth: number): unknown[] => {
    const size = shape[depth]!;
    if (depth === shape.length - 1) return values.slice(offset, offset + size);
    const stride = elementCount(shape.slice(depth + 1));
    return Array.from({ length: size }, (_, i) => build(offset + i * stride, depth + 1));
  };
  return build(0, 0);
}

/** The first dimension is dynamic: the tensor can hold a batch of rows. */
export function hasBatchDim(shape: readonly Dim[]): boolean {
  return shape.length > 0 && isDynamic(shape[0]!);
}
