// onnxruntime-node's Tensor is onnxruntime-common's (it re-exports it). Taken
// from there, a function that only describes models (`models`) never loads
// onnxruntime's native library: its cold start was ~4 ms shorter and peaked
// ~5 MB lower in `npm run bench` (BENCHMARKS.md, "Cold start of every function").
import { Tensor } from 'onnxruntime-common';
import { floatToHalf, halfToFloat } from './half';

/**
 * The Open Inference Protocol's tensor datatypes that onnxruntime-node can
 * take and return, with the onnxruntime type each maps to. One table, read by
 * the manifest schema, the JSON↔tensor conversion and the metadata routes.
 */
export const DATATYPES = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<string, Tensor.Type>;

export type Datatype = keyof typeof DATATYPES;
export const DATATYPE_NAMES = Object.keys(DATATYPES) as Datatype[];

const byOrtType = new Map<string, Datatype>(DATATYPE_NAMES.map((d) => [DATATYPES[d], d]));

/** The protocol's name for an onnxruntime type, or undefined for one we cannot serve. */
export function datatypeOf(ortType: string): Datatype | undefined {
  return byOrtType.get(ortType);
}

/**
 * Largest JSON numbers that still become finite float32 and float16 values:
 * the shortest decimal of the largest float32 (3.4028235e38) is a little
 * above it and must be accepted back.
 */
export const FLOAT32_MAX = 3.4028235e38;
export const FLOAT16_MAX = 65504;

const INTEGER_RANGE: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  // 64-bit integers travel as JSON numbers, exact only within ±2^53.
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** The JSON schema of one element of a tensor of this datatype (record fields, published schemas). */
export function elementSchema(datatype: Datatype): Record<string, unknown> {
  const range = INTEGER_RANGE[datatype];
  if (range) return { type: 'integer', minimum: range[0], maximum: range[1] };
  switch (datatype) {
    case 'BOOL':
      return { type: 'boolean' };
    case 'BYTES':
      return { type: 'string' };
    case 'FP16':
      return { type: 'number', minimum: -FLOAT16_MAX, maximum: FLOAT16_MAX };
    case 'FP32':
      return { type: 'number', minimum: -FLOAT32_MAX, maximum: FLOAT32_MAX };
    default:
      return { type: 'number' };
  }
}

/**
 * Why a JSON value cannot be an element of this datatype, or null when it can.
 * Same rules as elementSchema, checked by hand because tensors can hold a
 * million elements and a per-element Ajv call costs more than this.
 */
export function elementProblem(datatype: Datatype, value: unknown): string | null {
  const range = INTEGER_RANGE[datatype];
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer (${datatype})`;
    if (value < range[0] || value > range[1]) {
      const exact = datatype === 'INT64' || datatype === 'UINT64' ? ' (64-bit integers are exact in JSON only within ±2^53)' : '';
      return `must be within ${range[0]}..${range[1]} for ${datatype}${exact}`;
    }
    return null;
  }
  switch (datatype) {
    case 'BOOL':
      return typeof value === 'boolean' ? null : 'must be true or false (BOOL)';
    case 'BYTES':
      return typeof value === 'string' ? null : 'must be a string (BYTES)';
    default: {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a finite number (${datatype})`;
      const max = datatype === 'FP16' ? FLOAT16_MAX : datatype === 'FP32' ? FLOAT32_MAX : Infinity;
      const fits = datatype === 'FP16' ? Number.isFinite(halfToFloat(floatToHalf(value))) : Math.abs(value) <= max;
      return fits ? null : `is outside the range of ${datatype} (±${max})`;
    }
  }
}

/** Builds a tensor from elements that passed elementProblem(). */
export function tensorFrom(datatype: Datatype, values: readonly unknown[], dims: readonly number[]): Tensor {
  const type = DATATYPES[datatype];
  switch (datatype) {
    case 'BYTES':
      return new Tensor('string', values as string[], dims);
    case 'BOOL':
      return new Tensor('bool', Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0)), dims);
    case 'FP16':
      return new Tensor('float16', Uint16Array.from(values as number[], floatToHalf), dims);
    case 'INT64':
      return new Tensor('int64', BigInt64Array.from(values as number[], (v) => BigInt(v)), dims);
    case 'UINT64':
      return new Tensor('uint64', BigUint64Array.from(values as number[], (v) => BigInt(v)), dims);
    default:
      // The remaining types take plain numbers in their own typed array.
      return new Tensor(type as 'float32', values as number[], dims);
  }
}

/** The shortest decimal that reads back as the same float32 (0.67, not 0.6700000166893005). */
export function float32Json(x: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}

/** The shortest decimal that reads back as the same float16. */
function float16Json(bits: number): number {
  const x = halfToFloat(bits);
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits < 6; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (floatToHalf(candidate) === bits) return candidate;
  }
  return x;
}

/** A 64-bit integer as a JSON number when exact, else as its decimal text. */
function int64Json(v: bigint): number | string {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
}

export type JsonElement = number | string | boolean;

/** The JSON schema of what jsonElements() gives for an answer of this datatype (published in /openapi.json). */
export function jsonElementSchema(datatype: Datatype): Record<string, unknown> {
  if (datatype === 'INT64' || datatype === 'UINT64') return { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?[0-9]+$' }] };
  // The datatype's JSON type; the ranges of elementSchema() bound what a request may send.
  return { type: elementSchema(datatype).type };
}

/**
 * A tensor's elements as JSON values, flat and row-major: floats as the
 * shortest decimal that round-trips (FP64 is JavaScript's own), 64-bit
 * integers beyond ±2^53 as decimal strings, BOOL as true/false. Non-finite
 * floats come back as NaN/±Infinity for the caller to refuse (JSON has none).
 */
export function jsonElements(tensor: Tensor): JsonElement[] {
  const data = tensor.data;
  switch (tensor.type) {
    case 'string':
      return Array.from(data as string[]);
    case 'bool':
      return Array.from(data as Uint8Array, (b) => b !== 0);
    case 'float16':
      return Array.from(data as Uint16Array, float16Json);
    case 'float32':
      return Array.from(data as Float32Array, float32Json);
    case 'int64':
    case 'uint64':
      return Array.from(data as BigInt64Array | BigUint64Array, int64Json);
    default:
      return Array.from(data as Float64Array);
  }
}

/** The first element of a float tensor that is NaN or infinite, as its flat index, or -1. */
export function firstNonFinite(tensor: Tensor): number {
  if (tensor.type === 'float16') return (tensor.data as Uint16Array).findIndex((bits) => (bits & 0x7c00) === 0x7c00);
  if (tensor.type !== 'float32' && tensor.type !== 'float64') return -1;
  return (tensor.data as Float32Array).findIndex((x) => !Number.isFinite(x));
}
