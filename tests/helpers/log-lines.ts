import { capturedOutput } from './output';

/** Everything a handler writes to stdout and stderr while `work` runs, as text and as JSON lines. */
export interface Captured {
  text: string;
  /** Lines that parse as JSON objects (Powertools' log lines and EMF lines). */
  json: Record<string, unknown>[];
}

/** What `work` wrote, read from the output tests/environment.js captures for every test. */
export async function captureOutput(work: () => Promise<void>): Promise<Captured> {
  const output = capturedOutput();
  const start = output.mark();
  await work();
  const text = output.since(start);
  const json = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { text, json };
}

export const accessLines = (c: Captured) => c.json.filter((l) => l.message === 'request');
export const emfLines = (c: Captured) => c.json.filter((l) => '_aws' in l);
