import { createReadStream } from 'node:fs';
import fc from 'fast-check';
import { csvRows, fileRecords, jsonlRows, parseCsvHeader, scoreRows, scoreStream, type BatchRow, type ScoredRow } from '../lib/batch';
import { progressView } from '../scripts/score/progress';
import { telcoPath, telcoRows, telcoText } from './helpers/telco';

/**
 * lib/batch's readers (README, "Batch scoring"): the same rows whatever
 * chunks the bytes arrive in, the same rows from a byte offset that starts
 * a row (the deployed path reads byte ranges), and the scorer's progress view.
 */

async function collect(rows: AsyncIterable<BatchRow[]>): Promise<BatchRow[]> {
  const all: BatchRow[] = [];
  for await (const chunk of rows) all.push(...chunk);
  return all;
}

/** The bytes in chunks cut at the given sizes (cycled), as a stream might hand them over. */
async function* chunked(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

const tricky = Buffer.from(
  '\uFEFFa,b,c\r\n1,"two, with a comma, é",3\r\n"multi\nline ""quoted""",x,y\n\n1,2\n"x"y,1,2\n4,5,6\n"open,\n7,8,9\n',
  'utf8',
);

describe('the records of a file', () => {
  it('are the same whatever chunks the bytes arrive in', async () => {
    const whole = await collect(csvRows([tricky]));
    expect(whole.map((r) => r.line)).toEqual([2, 3, 5, 6, 7, 8, 9]);
    expect(whole[0]).toEqual({ line: 2, record: { a: '1', b: 'two, with a comma, é', c: '3' } });
    expect(whole[1]).toEqual({ line: 3, record: { a: 'multi\nline "quoted"', b: 'x', c: 'y' } });
    expect(whole.slice(2).map((r) => ('error' in r ? r.error.message : r.record))).toEqual([
      'line 5 is blank',
      `line 6 has another number of values than the header has columns (2 values, 3 columns)`,
      'line 7 has a character right after a closing quote',
      { a: '4', b: '5', c: '6' },
      'line 9 opens a quote that is never closed: lines 9 to 10, the rest of the file, were not scored',
    ]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        expect(await collect(csvRows(chunked(tricky, sizes)))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('from a byte offset that starts a row, with the header given, are the rows of the whole file from there', async () => {
    const records: { line: number; offset: number }[] = [];
    for await (const chunk of fileRecords(createReadStream(telcoPath), true)) records.push(...chunk);
    const whole = await collect(csvRows(createReadStream(telcoPath)));
    expect(whole).toHaveLength(telcoRows.length);
    const from = records[4001]!; // the 4,001st data row
    expect(from.line).toBe(4002);
    expect(Buffer.from(telcoText).subarray(from.offset).toString('utf8').startsWith(telcoRows[4000]![0]!)).toBe(true);
    const header = parseCsvHeader(telcoText.slice(0, telcoText.indexOf('\n')));
    const tail = await collect(csvRows(createReadStream(telcoPath, { start: from.offset }), { header, start: from }));
    expect(tail).toEqual(whole.slice(4000));
  });

  it('JSON lines: one row a line, from a byte offset too', async () => {
    const text = Buffer.from('{"text":"hi"}\n\n{"text":\n{"text":"é"}\r\n{"text":"last"}');
    const rows = await collect(jsonlRows([text]));
    expect(rows.map((r) => ('error' in r ? r.error.code : r.record))).toEqual([{ text: 'hi' }, 'invalid_json', 'invalid_json', { text: 'é' }, { text: 'last' }]);
    const offset = text.indexOf('{"text":"é"}');
    expect(await collect(jsonlRows([text.subarray(offset)], { start: { line: 4, offset } }))).toEqual(rows.slice(3));
  });

  it('a header that cannot be used fails the read, naming why', async () => {
    await expect(collect(csvRows(['tenure,tenure\n1,2\n']))).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(collect(csvRows(['']))).rejects.toMatchObject({ code: 'invalid_csv' });
    await expect(collect(csvRows(['"a,b\n1,2\n']))).rejects.toMatchObject({ code: 'invalid_csv' });
  });
});

describe('scoreRows', () => {
  it('carries a reader error through, in order, and scores the rest', async () => {
    const blank = { code: 'invalid_csv', message: 'line 2 is blank' };
    const rows: BatchRow[] = [
      { line: 2, error: blank },
      { line: 3, record: { text: 'hello' } },
    ];
    const scored = await scoreRows({ name: 'intent', label: 'stable' }, rows, 'jsonl');
    expect(scored.map((r) => r.line)).toEqual([2, 3]);
    expect(scored[0]).toEqual({ line: 2, warnings: [], error: blank });
    expect(scored[1]!.answer).toHaveProperty('intent');
  });

  it('refuses a whole run, not a row, for an unknown model', async () => {
    await expect(scoreRows({ name: 'nosuchmodel' }, [{ line: 1, record: {} }], 'jsonl')).rejects.toMatchObject({ code: 'model_not_found' });
  });
});

describe('scoreStream', () => {
  it('scores a byte range of rows, given the header, as the whole file scores those rows (the deployed path reads ranges)', async () => {
    const records: { line: number; offset: number }[] = [];
    for await (const chunk of fileRecords(createReadStream(telcoPath), true)) records.push(...chunk);
    const from = records[2500]!;
    const to = records[3700]!; // the range ends where this row starts
    const whole: ScoredRow[] = [];
    for await (const group of scoreStream({ name: 'churn' }, createReadStream(telcoPath), { format: 'csv' })) whole.push(...group);
    expect(whole).toHaveLength(telcoRows.length);
    const header = parseCsvHeader(telcoText.slice(0, telcoText.indexOf('\n')));
    const range: ScoredRow[] = [];
    const groups: number[] = [];
    for await (const group of scoreStream({ name: 'churn' }, createReadStream(telcoPath, { start: from.offset, end: to.offset - 1 }), { format: 'csv', header, start: from })) {
      range.push(...group);
      groups.push(group.length);
    }
    expect(range).toEqual(whole.slice(2499, 3699));
    expect(groups).toEqual([1000, 200]);
  });
});

describe('the progress view', () => {
  const at = (share: number, rows: number, elapsedMs: number) => ({ bytesRead: share * 1000, totalBytes: 1000, rows, elapsedMs });

  it('draws a bar in place on a terminal, with rows/s and the time left', () => {
    let text = '';
    const view = progressView({ isTTY: true, columns: 100, write: (t: string) => (text += t) }, 'score');
    view.update(at(0.5, 5000, 1000));
    expect(text).toMatch(/^\r\x1b\[Kscore \[#+-+\]  50%  5,000 rows  5,000 rows\/s  ETA 1\.0 s$/);
    view.done(at(1, 10_000, 2000));
    expect(text).toMatch(/100%  10,000 rows  5,000 rows\/s  in 2\.0 s\n$/);
  });

  it('prints plain lines elsewhere: a tenth of the file at most once a second, then the last', () => {
    const lines: string[] = [];
    const view = progressView({ write: (t: string) => lines.push(t) }, 'score');
    view.update(at(0.25, 250, 1000));
    view.update(at(0.29, 290, 1500)); // the same tenth
    view.update(at(0.5, 500, 1600)); // a new tenth, within the second
    view.update(at(0.7, 700, 3000));
    view.done(at(1, 1000, 4000));
    expect(lines).toEqual(['score: 20%  250 rows  250 rows/s  ETA 3.0 s\n', 'score: 70%  700 rows  233 rows/s  ETA 1.3 s\n', 'score: 100%  1,000 rows  250 rows/s  in 4.0 s\n']);
  });
});
