/**
 * What the code under test has written in this test file: tests/environment.js
 * captures process.stdout, process.stderr and console for every test, so none
 * of it is printed (a failing test shows its own).
 */
interface CapturedOutput {
  /** A position to read from later. */
  mark(): number;
  /** Everything written since the mark. */
  since(mark: number): string;
  /** Adds to the output as if written to stdout (a child process's output, say). */
  write(chunk: string | Uint8Array): void;
}

export function capturedOutput(): CapturedOutput {
  const output = (globalThis as Record<symbol, CapturedOutput | undefined>)[Symbol.for('ml-inference.tests.output')];
  if (!output) throw new Error('no captured output: the test does not run in tests/environment.js');
  return output;
}
