import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * A model of a chosen size with no training: a wide two-layer MLP
 * (x [N, inputs] → MatMul → Relu → MatMul → y [N, outputs]) whose weights
 * are float32 from a fixed-seed generator, so the same size always gives the
 * same bytes. Its hidden width is what makes it large: the file is its
 * weights plus a few hundred bytes. Random weights do not compress, as real
 * ones barely do (a float32 checkpoint deflates by a few percent), so a zip
 * of it weighs what a real model's would. For the bench's large-model rows,
 * the sizing measurements and the package size tests (README, "Large
 * models"); written with onnx-proto, as scripts/model-add rewrites graphs.
 */
export interface WideMlp {
  file: string;
  bytes: number;
  inputs: number;
  hidden: number;
  outputs: number;
}

const INPUTS = 256;
const OUTPUTS = 8;

/** A fixed-seed xorshift32, scaled to small weights (±1/√inputs) so the outputs stay finite. */
function fillWeights(values: Float32Array, seed: number, scale: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < values.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    values[i] = ((s / 0xffffffff) * 2 - 1) * scale;
  }
}

function initializer(name: string, dims: number[], seed: number, scale: number): onnx.TensorProto {
  const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fillWeights(values, seed, scale);
  return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(values.buffer) });
}

function floatInput(name: string, width: number): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } },
  });
}

/** The hidden width that makes the weights `targetBytes` (at least 1). */
export function hiddenFor(targetBytes: number): number {
  return Math.max(1, Math.round(targetBytes / (4 * (INPUTS + OUTPUTS))));
}

/** The ONNX bytes of a wide MLP of about `targetBytes`. */
export function wideMlpBytes(targetBytes: number): { bytes: Uint8Array; inputs: number; hidden: number; outputs: number } {
  const hidden = hiddenFor(targetBytes);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'scripts/wide-mlp.ts',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'wide_mlp',
      node: [
        { opType: 'MatMul', input: ['x', 'w1'], output: ['h'], name: 'layer1' },
        { opType: 'Relu', input: ['h'], output: ['r'], name: 'relu' },
        { opType: 'MatMul', input: ['r', 'w2'], output: ['y'], name: 'layer2' },
      ],
      initializer: [initializer('w1', [INPUTS, hidden], 1, 1 / Math.sqrt(INPUTS)), initializer('w2', [hidden, OUTPUTS], 2, 1 / Math.sqrt(hidden))],
      input: [floatInput('x', INPUTS)],
      output: [floatInput('y', OUTPUTS)],
    },
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), inputs: INPUTS, hidden, outputs: OUTPUTS };
}

/**
 * Writes a wide MLP of about `targetBytes` to `file` unless one of that size
 * is there already (the bench caches them under .bench-cache/, gitignored);
 * written to a temporary name first, so an interrupted run leaves no half file.
 */
export function writeWideMlp(file: string, targetBytes: number): WideMlp {
  const hidden = hiddenFor(targetBytes);
  const expected = 4 * hidden * (INPUTS + OUTPUTS);
  const existing = statSync(file, { throwIfNoEntry: false });
  // The weights are the whole file but its few hundred bytes of graph.
  if (!existing || existing.size < expected || existing.size > expected + 4096) {
    mkdirSync(path.dirname(file), { recursive: true });
    const { bytes } = wideMlpBytes(targetBytes);
    const partial = `${file}.partial-${process.pid}`;
    writeFileSync(partial, bytes);
    renameSync(partial, file);
  }
  return { file, bytes: statSync(file).size, inputs: INPUTS, hidden, outputs: OUTPUTS };
}
