/** Everything a handler writes to stdout and stderr while `work` runs, as text and as JSON lines. */
export interface Captured {
  text: string;
  /** Lines that parse as JSON objects (Powertools' log lines and EMF lines). */
  json: Record<string, unknown>[];
}

export async function captureOutput(work: () => Promise<void>): Promise<Captured> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(capture), jest.spyOn(process.stderr, 'write').mockImplementation(capture)];
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const text = written.join('');
  const json = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { text, json };
}

export const accessLines = (c: Captured) => c.json.filter((l) => l.message === 'request');
export const emfLines = (c: Captured) => c.json.filter((l) => '_aws' in l);
