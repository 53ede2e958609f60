// onnxruntime-node checks `data instanceof Float32Array` against the realm it
// was loaded in; jest gives each test file its own realm, so a tensor built in
// a test would be refused ("A float32 tensor's data must be type of function
// Float32Array()"). Sharing the outer realm's typed arrays fixes that.
const { TestEnvironment } = require('jest-environment-node');

const typedArrays = [
  'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
];

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of typedArrays) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxEnvironment;
