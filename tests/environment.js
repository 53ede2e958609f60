// The environment of every test file: Node's, with two changes.
//
// 1. onnxruntime-node checks `data instanceof Float32Array` against the realm
// it was loaded in; jest gives each test file its own realm, so a tensor built
// in a test would be refused ("A float32 tensor's data must be type of
// function Float32Array()"). Sharing the outer realm's typed arrays fixes that.
//
// 2. What the code under test prints is captured, not printed: everything
// written to process.stdout and process.stderr (Powertools' EMF and log
// lines, its warnings, a child's stderr that execFileSync passes on) and
// everything sent to `console`. Tests read it through tests/helpers/output.ts
// (captureOutput in tests/helpers/log-lines.ts). A test that fails gets the
// output written since the previous test ended (its beforeAll and beforeEach
// hooks, and itself) added to its failure, the last lines shown and all of it
// in .artifacts/test-output/; the output of a test that passes is dropped.
// TEST_OUTPUT=print passes everything through as well, as it arrives.
const { TestEnvironment } = require('jest-environment-node');
const { Console } = require('node:console');
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { Writable } = require('node:stream');

const typedArrays = [
  'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'Uint8ClampedArray',
];

/** Where tests/helpers/output.ts finds the file's captured output (Symbol.for: the same symbol in every realm). */
const OUTPUT = Symbol.for('ml-inference.tests.output');
/** Lines of a failing test's output shown with its failure; the rest are in its file. */
const SHOWN_LINES = 40;
const passThrough = process.env.TEST_OUTPUT === 'print';

/** The output of one test file, as written. Positions count from the file's start, so a mark stays valid after a passed test's output is dropped. */
class CapturedOutput {
  constructor() {
    this.chunks = [];
    this.dropped = 0;
  }

  write(chunk, encoding) {
    if (typeof chunk !== 'string') this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8'));
    else if (typeof encoding === 'string' && encoding !== 'utf8' && Buffer.isEncoding(encoding)) this.chunks.push(Buffer.from(chunk, encoding).toString('utf8'));
    else this.chunks.push(chunk);
  }

  /** A position to read from later (captureOutput's start). */
  mark() {
    return this.dropped + this.chunks.length;
  }

  /** Everything written since the mark, as one string. */
  since(mark) {
    return this.chunks.slice(Math.max(0, mark - this.dropped)).join('');
  }

  /** Everything still held, and forget it. */
  take() {
    const text = this.chunks.join('');
    this.dropped += this.chunks.length;
    this.chunks = [];
    return text;
  }
}

/** "N lines (the last 40 here, all in FILE)" and those last lines. */
const tail = (text, file) => {
  const all = text.replace(/\n$/, '').split('\n');
  const count = all.length === 1 ? '1 line' : `${all.length} lines`;
  const where = all.length > SHOWN_LINES ? `the last ${SHOWN_LINES} here, all in ${file}` : `also in ${file}`;
  return { about: `${count} (${where})`, shown: all.slice(-SHOWN_LINES).join('\n') };
};

class OnnxEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of typedArrays) this.global[name] = globalThis[name];
    this.rootDir = config.projectConfig.rootDir;
    this.testPath = context.testPath;
    this.output = new CapturedOutput();
    this.global[OUTPUT] = this.output;
    this.restores = [];
    this.ranTests = false;
    this.unreported = false;
  }

  async setup() {
    await super.setup();
    const writers = {};
    for (const stream of [process.stdout, process.stderr]) {
      const own = Object.prototype.hasOwnProperty.call(stream, 'write');
      const previous = stream.write;
      writers[stream === process.stdout ? 'stdout' : 'stderr'] = (chunk) => previous.call(stream, chunk);
      stream.write = (chunk, encoding, callback) => {
        this.output.write(chunk, encoding);
        if (passThrough) return previous.call(stream, chunk, encoding, callback);
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') process.nextTick(done);
        return true;
      };
      this.restores.push(() => {
        if (own) stream.write = previous;
        else delete stream.write;
      });
    }
    // jest's own console for the file (set before setup) would print each call after the file's result.
    const sink = new Writable({
      decodeStrings: false,
      write: (chunk, encoding, done) => {
        this.output.write(chunk, encoding);
        if (passThrough) writers.stderr(chunk);
        done();
      },
    });
    this.global.console = new Console({ stdout: sink, stderr: sink });
  }

  async teardown() {
    for (const restore of this.restores.splice(0)) restore();
    // Output no test can carry: an afterAll hook failed, or the file failed before its tests ran.
    const left = this.output.take();
    if (left !== '' && (this.unreported || !this.ranTests)) {
      const { about, shown } = tail(left, this.saveOutput('outside-tests', left));
      process.stderr.write(`\nOutput of ${path.relative(this.rootDir, this.testPath)} outside its tests, ${about}:\n${shown}\n\n`);
    }
    await super.teardown();
  }

  handleTestEvent(event, state) {
    if (event.name === 'hook_failure' && event.hook.type === 'afterAll') this.unreported = true;
    if (event.name === 'run_finish') {
      this.ranTests = true;
      if (state.unhandledErrors.length > 0) this.unreported = true;
    }
    if (event.name !== 'test_done') return;
    const text = this.output.take();
    const { test } = event;
    if (test.errors.length === 0 || test.failing || text === '') return;
    const { about, shown } = tail(text, this.saveOutput(testName(test), text));
    const report = new Error();
    report.stack = `Output since the previous test, ${about}:\n${shown}`;
    test.errors.push(report);
  }

  /** The full text, in .artifacts/test-output/<test file>--<test>.log; returns its path from the project root. */
  saveOutput(name, text) {
    const base = `${path.relative(this.rootDir, this.testPath)}--${name}`.replace(/[^\w.-]+/g, '_').slice(0, 200);
    const file = path.join(this.rootDir, '.artifacts', 'test-output', `${base}.log`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return path.relative(this.rootDir, file);
  }
}

function testName(test) {
  const names = [];
  for (let block = test; block && block.parent; block = block.parent) names.unshift(block.name);
  return names.join(' ');
}

module.exports = OnnxEnvironment;
