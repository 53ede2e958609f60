import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { handler as predictHandler } from '../handlers/predict';
import { invoke, invokeText, type HttpHandler } from './helpers/lambda';
import { route } from './helpers/routes';
import { score } from './helpers/score-cli';
import { telcoHeader, telcoPath, telcoRows } from './helpers/telco';

/**
 * `npm run score` (README, "Batch scoring") on the real models and
 * onnxruntime: its rows against the online predict route's answers (the
 * real handler), files with bad rows, exit codes.
 */

const predict = predictHandler as unknown as HttpHandler;
const csvOf = (rows: readonly (readonly string[])[]) => stringify(rows as string[][]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'batch-score-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A row of the CSV output: its fixed columns, and the answer's. */
type OutputRow = { line: string; warnings: string; error: string; [column: string]: string | undefined };
const readOutput = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as OutputRow[];
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** The route's own CSV answer for a CSV body: one row per record, its warnings' paths as the route writes them. */
async function routeCsv(model: string, body: string): Promise<OutputRow[]> {
  const reply = await invokeText(predict, { ...route('POST', '/models/{name}/predict', { name: model }), body, headers: { 'content-type': 'text/csv', accept: 'text/csv' } });
  expect(reply.status).toBe(200);
  return parse(reply.body, { columns: true }) as OutputRow[];
}

/** A warning as a row of the batch output holds it: the route's "/rows/<n>" prefix is the batch's position, not the record's. */
const ownPaths = (cell: string) => (cell === '' ? [] : (JSON.parse(cell) as { path: string; problem: string }[]).map((w) => ({ ...w, path: w.path.replace(/^\/rows\/\d+/, '') })));

describe('the 7,043 Telco customers', () => {
  let rows: OutputRow[];
  let stderr: string;
  beforeAll(async () => {
    const out = path.join(dir, 'scores.csv');
    const run = await score(telcoPath, '--model', 'churn', '--out', out);
    expect(run.code).toBe(0);
    stderr = run.stderr;
    rows = readOutput(out);
  });

  it('writes one row per customer, in order, with the answer fields, warnings and error as columns', () => {
    expect(rows).toHaveLength(7043);
    expect(Object.keys(rows[0]!)).toEqual(['line', 'churn_probability', 'churn', 'warnings', 'error']);
    expect(rows.map((r) => Number(r.line))).toEqual(telcoRows.map((_, i) => i + 2));
    expect(rows.every((r) => r.error === '')).toBe(true);
    expect(stderr).toMatch(/score: 100%.*7,043 rows/);
    expect(stderr).toContain('7,043 scored, 0 failed');
  });

  it('gives, row for row, the answers and warnings of the online CSV route', async () => {
    const online: OutputRow[] = [];
    for (let start = 0; start < telcoRows.length; start += 1000) online.push(...(await routeCsv('churn', csvOf([telcoHeader!, ...telcoRows.slice(start, start + 1000)]))));
    expect(online).toHaveLength(rows.length);
    const local = rows.map((r) => ({ churn_probability: r.churn_probability, churn: r.churn, warnings: ownPaths(r.warnings) }));
    expect(local).toEqual(online.map((r) => ({ churn_probability: r.churn_probability, churn: r.churn, warnings: ownPaths(r.warnings) })));
    // Not vacuous: the file has both answers, and its blank TotalCharges rows are among them.
    expect(new Set(local.map((r) => r.churn))).toEqual(new Set(['true', 'false']));
  });
});

describe('a CSV file with bad rows', () => {
  const header = telcoHeader!;
  const col = (name: string) => header.indexOf(name);
  const edited = (row: readonly string[], column: string, value: string) => row.map((v, j) => (j === col(column) ? value : v));
  const good = telcoRows.slice(0, 12);
  // Line numbers: the header is line 1.
  const lines = [
    header.join(','),
    csvOf([good[0]!]).trimEnd(), //  2 scored
    '', //                            3 blank
    csvOf([edited(good[1]!, 'tenure', 'abc')]).trimEnd(), // 4 wrong type
    csvOf([good[2]!.slice(0, 5)]).trimEnd(), //              5 missing columns
    csvOf([edited(good[3]!, 'Contract', 'Month\nto month')]).trimEnd(), // 6-7 a line break inside quotes: one row, an unknown value
    `"${good[4]![0]}"x,${good[4]!.slice(1).join(',')}`, //    8 a character after a closing quote
    csvOf([good[5]!]).trimEnd(), //  9 scored
    csvOf([edited(good[6]!, 'MonthlyCharges', '-')]).trimEnd(), // 10 wrong type
    csvOf([good[7]!]).trimEnd(), // 11 scored
    `"${good[8]!.join(',')}`, //    12 a quote left open: swallows the rest
    csvOf([good[9]!]).trimEnd(), // 13
    csvOf([good[10]!]).trimEnd(), // 14
  ];
  let rows: OutputRow[];
  let stderr: string;
  beforeAll(async () => {
    const out = path.join(dir, 'bad.out.csv');
    const run = await score(write('bad.csv', `${lines.join('\r\n')}\r\n`), '--model', 'churn', '--out', out);
    expect(run.code).toBe(0);
    stderr = run.stderr;
    rows = readOutput(out);
  });

  it('scores every good row before the open quote, as the route scores it alone', async () => {
    const scored = rows.filter((r) => r.error === '');
    expect(scored.map((r) => r.line)).toEqual(['2', '6', '9', '11']);
    const online = await routeCsv('churn', csvOf([header, good[0]!, edited(good[3]!, 'Contract', 'Month\nto month'), good[5]!, good[7]!]));
    const view = (r: OutputRow) => [r.churn_probability, r.churn, ownPaths(r.warnings)];
    expect(scored.map(view)).toEqual(online.map(view));
    // The value with a line break is its own row's warning only.
    expect(ownPaths(scored[1]!.warnings)).toContainEqual(expect.objectContaining({ path: '/contract' }));
    expect(ownPaths(scored[0]!.warnings).map((w) => w.path)).toEqual(['/columns/customerID', '/columns/Churn']);
  });

  it('reports each bad row with its line and code, and where the open quote began and what it swallowed', () => {
    const failed = rows.filter((r) => r.error !== '').map((r) => ({ line: r.line, ...(JSON.parse(r.error) as { code: string; message: string }) }));
    expect(failed.map((f) => [f.line, f.code])).toEqual([
      ['3', 'invalid_csv'],
      ['4', 'validation_failed'],
      ['5', 'invalid_csv'],
      ['8', 'invalid_csv'],
      ['10', 'validation_failed'],
      ['12', 'invalid_csv'],
    ]);
    expect(failed[0]!.message).toBe('line 3 is blank');
    expect(JSON.parse(rows.find((r) => r.line === '4')!.error).details).toEqual([{ path: '/tenure', problem: 'must be integer' }]);
    expect(failed[2]!.message).toBe(`line 5 has another number of values than the header has columns (5 values, ${header.length} columns)`);
    expect(failed[3]!.message).toBe('line 8 has a character right after a closing quote');
    expect(failed[5]!.message).toBe('line 12 opens a quote that is never closed: lines 12 to 14, the rest of the file, were not scored');
    expect(rows.map((r) => r.line).at(-1)).toBe('12');
    expect(stderr).toContain('failed by code: invalid_csv 4, validation_failed 2');
    expect(stderr).toContain('line 12: invalid_csv: line 12 opens a quote');
  });

  it('a file without a column the model needs: every row fails, named, and the run still succeeds', async () => {
    const without = (row: readonly string[]) => row.filter((_, j) => j !== col('tenure'));
    const out = path.join(dir, 'no-tenure.out.csv');
    const run = await score(write('no-tenure.csv', csvOf([without(header), ...good.slice(0, 3).map(without)])), '--model', 'churn', '--out', out);
    expect(run.code).toBe(0);
    const errors = readOutput(out).map((r) => JSON.parse(r.error) as { code: string; details: unknown });
    expect(errors).toEqual(good.slice(0, 3).map(() => expect.objectContaining({ code: 'validation_failed', details: [{ path: '/tenure', problem: 'is required' }] })));
  });
});

describe('a batch the route would refuse whole', () => {
  it('scores the good records of a chunk with more bad ones than an error lists, and each bad one fails alone', async () => {
    // 60 bad records among 300: more than the 20 details one refusal lists.
    const rows = telcoRows.slice(0, 300).map((row, i) => (i % 5 === 2 ? row.map((v, j) => (j === telcoHeader!.indexOf('tenure') ? '-' : v)) : row));
    const out = path.join(dir, 'many-bad.out.csv');
    expect((await score(write('many-bad.csv', csvOf([telcoHeader!, ...rows])), '--model', 'churn', '--out', out)).code).toBe(0);
    const output = readOutput(out);
    const online = await routeCsv('churn', csvOf([telcoHeader!, ...rows.filter((_, i) => i % 5 !== 2)]));
    expect(output.filter((r) => r.error === '').map((r) => r.churn_probability)).toEqual(online.map((r) => r.churn_probability));
    expect(output.filter((r) => r.error !== '').map((r) => Number(r.line))).toEqual(rows.map((_, i) => i + 2).filter((_, i) => i % 5 === 2));
  });
});

describe('JSON lines (intent)', () => {
  const texts = ['hello there!', 'my order never arrived and nobody answers', 'thanks, that was quick', 'how do I change my plan?'];
  it('answers each line as the JSON route answers {"instances": [...]}, every warning on its own row, bad lines reported', async () => {
    // Each record has an unknown field: 150 warnings, more than one answer carries (100).
    const records = Array.from({ length: 150 }, (_, i) => ({ text: texts[i % texts.length]!, id: i }));
    const lines = [...records.slice(0, 2).map((r) => JSON.stringify(r)), '', '{"text":', JSON.stringify({ text: 3 }), ...records.slice(2).map((r) => JSON.stringify(r))];
    const out = path.join(dir, 'intent.out.jsonl');
    expect((await score(write('intent.jsonl', `${lines.join('\n')}\n`), '--model', 'intent', '--out', out)).code).toBe(0);
    const output = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(output.map((r) => r.line)).toEqual(lines.map((_, i) => i + 1));
    expect(output.slice(2, 5).map((r) => [r.line, (r.error as { code: string }).code])).toEqual([
      [3, 'invalid_json'],
      [4, 'invalid_json'],
      [5, 'validation_failed'],
    ]);
    const scored = output.filter((r) => r.error === undefined);
    const reply = await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { instances: records.slice(0, 100) } });
    expect(reply.status).toBe(200);
    const predictions = reply.json.predictions as Record<string, unknown>[];
    expect(scored.slice(0, 100).map(({ line: _line, warnings: _warnings, ...answer }) => answer)).toEqual(predictions);
    expect(scored.map((r) => r.warnings)).toEqual(records.map(() => [{ path: '/id', problem: 'unknown field, ignored' }]));
  });
});

describe('exit codes', () => {
  it('1 when the run fails (an unknown model, version or label), leaving no output file', async () => {
    for (const model of ['nosuchmodel', 'churn@9.9.9', 'churn:nosuchlabel']) {
      const run = await score(telcoPath, '--model', model, '--out', path.join(dir, 'never.csv'));
      expect({ model, code: run.code }).toEqual({ model, code: 1 });
      expect(run.stderr).toMatch(/score: the run failed, nothing was written to .*never\.csv: /);
    }
    expect(readdirSync(dir).filter((f) => f.includes('never'))).toEqual([]);
  });

  it('1 when the output cannot be written, before anything is scored', async () => {
    const run = await score(telcoPath, '--model', 'churn', '--out', path.join(dir, 'no-such-folder', 'scores.csv'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/score: the run failed, nothing was written to .*scores\.csv: ENOENT/);
    expect(run.stderr).not.toContain('rows/s');
  });

  it('1 for a header that names a column twice, 2 for a usage mistake', async () => {
    expect((await score(write('twice.csv', 'tenure,tenure\n1,2\n'), '--model', 'churn', '--out', path.join(dir, 'twice.out.csv'))).code).toBe(1);
    expect(existsSync(path.join(dir, 'twice.out.csv'))).toBe(false);
    const usage = await score(telcoPath);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--model is required');
    expect((await score(write('x.txt', 'a'), '--model', 'churn')).code).toBe(2);
  });
});
