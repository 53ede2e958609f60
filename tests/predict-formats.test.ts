import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { handler as modelsHandler } from '../handlers/models';
import { handler as predictHandler } from '../handlers/predict';
import { REQUEST_FORMATS } from '../lib/protocols/rest/formats';
import { addModel } from '../scripts/model-add/main';
import { isErrorBody, type ErrorBody } from './helpers/error-body';
import { invoke, invokeText, type EventOptions, type HttpHandler } from './helpers/lambda';
import { parityFixture, repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { telcoHead, telcoHeader, telcoRecord, telcoRows } from './helpers/telco';
import { readmeTableRows } from './helpers/readme';

const predict = predictHandler as unknown as HttpHandler;
const fixture = parityFixture();
const fixturePath = (name: string) => path.join(repoRoot, 'tests', 'fixtures', name);
/** The first 100 rows of the published file as real pandas wrote them: df.to_json(orient="split"). */
const pandasSplit = JSON.parse(readFileSync(fixturePath('telco_head100.split.json'), 'utf8')) as { columns: string[]; index: number[]; data: unknown[][] };
/** The same 100 customers as churn's train.py cleaned them for the model. */
const training = JSON.parse(readFileSync(fixturePath('telco_head100.training.json'), 'utf8')) as Record<string, unknown>[];

type Churn = { churn_probability: number; churn: boolean };

/** The route of the churn version the parity fixture (scikit-learn) belongs to. */
const churnRoute = (rest: EventOptions = {}) => route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: fixture.version }, rest);
const postJson = (json: unknown, headers: Record<string, string> = {}) => invoke(predict, { ...churnRoute(), json, headers: { 'content-type': 'application/json', ...headers } });
const postCsv = (body: string, headers: Record<string, string> = {}) => invoke(predict, { ...churnRoute(), body, headers: { 'content-type': 'text/csv', ...headers } });
const csvOf = (rows: readonly (readonly unknown[])[]) => stringify(rows as unknown[][]);

function expectError(reply: Awaited<ReturnType<typeof invoke>>, status: number, code: string): ErrorBody {
  expect({ status: reply.status, code: reply.json.code }).toEqual({ status, code });
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(isErrorBody(reply.json)).toBe(true);
  return reply.json as unknown as ErrorBody;
}

const columnWarnings = [
  { path: '/columns/customerID', problem: 'unknown column, ignored' },
  { path: '/columns/Churn', problem: 'unknown column, ignored' },
];

describe('raw rows of the published Telco CSV score as training saw them', () => {
  let expected: Churn[];
  beforeAll(async () => {
    // The JSON path, on the records train.py built from the same customers.
    const reply = await postJson({ instances: training });
    expect(reply.status).toBe(200);
    expected = reply.json.predictions as Churn[];
    expect(expected).toHaveLength(100);
  });

  it('the first 100 rows of the file, sent as they are with Content-Type text/csv', async () => {
    const reply = await postCsv(telcoHead(100));
    expect(reply.status).toBe(200);
    expect(reply.json.predictions).toEqual(expected);
    expect(reply.json.warnings).toEqual(columnWarnings);
  });

  it('the same rows as real pandas writes them: df.to_json(orient="split")', async () => {
    const reply = await postJson(pandasSplit);
    expect(reply.status).toBe(200);
    expect(reply.json.predictions).toEqual(expected);
    expect(reply.json.warnings).toEqual(columnWarnings);
  });

  it("the same rows in MLflow's dataframe_split and dataframe_records", async () => {
    const split = await postJson({ dataframe_split: pandasSplit });
    const records = await postJson({ dataframe_records: pandasSplit.data.map((row) => Object.fromEntries(pandasSplit.columns.map((c, j) => [c, row[j]]))) });
    for (const reply of [split, records]) {
      expect(reply.status).toBe(200);
      expect(reply.json.predictions).toEqual(expected);
      expect(reply.json.warnings).toEqual(columnWarnings);
    }
  });

  it('the same rows as raw JSON records ({"instances"}), names and values as the file has them', async () => {
    const reply = await postJson({ instances: telcoRows.slice(0, 100).map(telcoRecord) });
    expect(reply.status).toBe(200);
    expect(reply.json.predictions).toEqual(expected);
  });

  it("every held-out customer's raw row scores as scikit-learn scored the cleaned one (blank TotalCharges included)", async () => {
    const byId = new Map(fixture.cases.map((c) => [c.customerid, c]));
    const rows = telcoRows.filter((row) => byId.has(row[0]!.toLowerCase()));
    expect(rows).toHaveLength(fixture.cases.length);
    // The test covers the blank TotalCharges the preprocessing fills.
    expect(rows.filter((row) => row[telcoHeader!.indexOf('TotalCharges')]!.trim() === '').length).toBeGreaterThan(0);
    for (let start = 0; start < rows.length; start += 1000) {
      const chunk = rows.slice(start, start + 1000);
      const cases = chunk.map((row) => byId.get(row[0]!.toLowerCase())!);
      const [csv, json] = await Promise.all([postCsv(csvOf([telcoHeader!, ...chunk])), postJson({ instances: cases.map((c) => c.input) })]);
      expect(csv.status).toBe(200);
      expect(csv.json.predictions).toEqual(json.json.predictions);
      (csv.json.predictions as Churn[]).forEach((p, i) => expect(Math.abs(p.churn_probability - cases[i]!.churn_probability)).toBeLessThan(1e-5));
    }
  });
});

describe('POST /predict with Content-Type text/csv', () => {
  const header = telcoHeader!;
  const rows = telcoRows.slice(0, 3);
  const col = (name: string) => header.indexOf(name);
  const edited = (row: readonly string[], edits: Record<string, string>) => row.map((v, j) => (Object.hasOwn(edits, header[j]!) ? edits[header[j]!]! : v));
  let plain: Churn[];
  beforeAll(async () => {
    plain = (await postCsv(csvOf([header, ...rows]))).json.predictions as Churn[];
  });

  it('reads quoted fields, escaped quotes, CRLF and a byte-order mark', async () => {
    const quoted = header.map((h) => `"${h}"`).join(',') + '\r\n' + rows.map((r) => r.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\r\n');
    const reply = await postCsv(`\uFEFF${quoted}\r\n`, { 'content-type': 'text/csv; charset=utf-8' });
    expect(reply.status).toBe(200);
    expect(reply.json.predictions).toEqual(plain);
    const withQuote = await postCsv(csvOf([header, edited(rows[0]!, { Contract: 'Month "to" month, really' })]));
    expect(withQuote.json.warnings).toEqual([...columnWarnings, { path: '/rows/1/contract', problem: expect.stringContaining('unknown value "month_"to"_month,_really"') }]);
  });

  it('answers one row as a batch of one: a table is always {"predictions": [...]}', async () => {
    const reply = await postCsv(csvOf([header, rows[0]!]));
    expect(reply.json.predictions).toEqual([plain[0]]);
  });

  it('names a bad value by its row (1 = the first data row) and the field', async () => {
    const bad = [rows[0]!, edited(rows[1]!, { SeniorCitizen: '2' }), edited(rows[2]!, { tenure: 'abc', MonthlyCharges: '' })];
    const error = expectError(await postCsv(csvOf([header, ...bad])), 400, 'validation_failed');
    expect(error.details).toEqual([
      { path: '/rows/2/seniorcitizen', problem: 'must be <= 1' },
      { path: '/rows/3/monthlycharges', problem: 'must be number' },
      { path: '/rows/3/tenure', problem: 'must be integer' },
    ]);
  });

  it('names a missing column in each row, at most 20 problems', async () => {
    const without = header.filter((h) => h !== 'tenure');
    const error = expectError(await postCsv(csvOf([without, ...telcoRows.slice(0, 30).map((r) => r.filter((_, j) => j !== col('tenure')))])), 400, 'validation_failed');
    expect(error.details).toHaveLength(20);
    expect(error.details).toEqual(Array.from({ length: 20 }, (_, i) => ({ path: `/rows/${i + 1}/tenure`, problem: 'is required' })));
  });

  it('refuses malformed CSV with 400 invalid_csv naming the row', async () => {
    const ragged = expectError(await postCsv(`${header.join(',')}\n${rows[0]!.join(',')}\n${rows[1]!.slice(1).join(',')}\n`), 400, 'invalid_csv');
    expect(ragged.details).toEqual([{ path: '/rows/2', problem: 'has another number of values than the header has columns' }]);
    const unclosed = expectError(await postCsv(`${header.join(',')}\n"${rows[0]!.join(',')}\n`), 400, 'invalid_csv');
    expect(unclosed.details).toEqual([{ path: '/rows/1', problem: 'has a quote that is not closed' }]);
    const badHeader = expectError(await postCsv('a,"b"c\n1,2\n'), 400, 'invalid_csv');
    expect(badHeader.details).toEqual([{ path: '/columns', problem: expect.any(String) }]);
    expectError(await postCsv(''), 400, 'invalid_csv');
    expectError(await postCsv(' \r\n'), 400, 'invalid_csv');
  });

  it('refuses a header with no rows, and a column named twice', async () => {
    const empty = expectError(await postCsv(`${header.join(',')}\n`), 400, 'validation_failed');
    expect(empty.details).toEqual([{ path: '/rows', problem: 'must hold at least one record' }]);
    const twice = expectError(await postCsv(csvOf([[...header, 'tenure'], [...rows[0]!, '3']])), 400, 'validation_failed');
    expect(twice.details).toEqual([{ path: '/columns', problem: 'names a column twice' }]);
    // Two names for one field: either value could be meant.
    const cased = expectError(await postCsv(csvOf([[...header, 'TENURE'], [...rows[0]!, '3']])), 400, 'validation_failed');
    expect(cased.details).toEqual([{ path: '/rows/1/tenure', problem: 'is given twice, as "tenure" and "TENURE"' }]);
  });

  it('refuses more rows than MAX_BATCH with 413 payload_too_large, as for a JSON batch, before reading a record', async () => {
    const many = Array.from({ length: 1001 }, () => ['x']);
    const csv = expectError(await postCsv(csvOf([['x'], ...many])), 413, 'payload_too_large');
    const json = expectError(await postJson({ instances: many.map(() => ({})) }), 413, 'payload_too_large');
    expect(csv.error).toBe('the CSV body holds 1001 records; at most 1000 are accepted per request (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")');
    expect(json.error).toBe('"instances" holds 1001 records; at most 1000 are accepted per request (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")');
    expect(csv.details).toEqual(json.details);
  });

  it('refuses a CSV body over the byte limit with 413', async () => {
    expectError(await postCsv(`${header.join(',')}\n${'x'.repeat(4_200_000)}\n`), 413, 'payload_too_large');
  });

  it('ignores hostile column names with a warning and leaves prototypes alone', async () => {
    const reply = await postCsv(csvOf([[...header, '__proto__', 'constructor'], [...rows[0]!, '{"polluted":1}', 'x']]));
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([...columnWarnings, { path: '/columns/__proto__', problem: 'unknown column, ignored' }, { path: '/columns/constructor', problem: 'unknown column, ignored' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('DataFrames as JSON: pandas split and MLflow', () => {
  const split = { columns: pandasSplit.columns, index: pandasSplit.index.slice(0, 3), data: pandasSplit.data.slice(0, 3) };
  const col = (name: string) => split.columns.indexOf(name);
  const withCell = (row: number, column: string, value: unknown) => ({ ...split, data: split.data.map((r, i) => (i === row ? r.map((v, j) => (j === col(column) ? value : v)) : r)) });

  it('fills a null TotalCharges (pandas NaN) with 0, as a blank one', async () => {
    const [nullOne, blank] = await Promise.all([postJson(withCell(1, 'TotalCharges', null)), postJson(withCell(1, 'TotalCharges', ' '))]);
    expect(nullOne.status).toBe(200);
    expect(nullOne.json.predictions).toEqual(blank.json.predictions);
  });

  it('names bad cells by row and field, and rows of the wrong width by row', async () => {
    const error = expectError(await postJson(withCell(2, 'tenure', [1])), 400, 'validation_failed');
    expect(error.details).toEqual([{ path: '/rows/3/tenure', problem: 'must be integer' }]);
    const short = expectError(await postJson({ ...split, data: [split.data[0], split.data[1]!.slice(1)] }), 400, 'validation_failed');
    expect(short.details).toEqual([{ path: '/rows/2', problem: 'has 20 values, not 21' }]);
  });

  it('points structural problems into the body', async () => {
    expect(expectError(await postJson({ columns: 'tenure', data: [] }), 400, 'validation_failed').details).toEqual([{ path: '/columns', problem: 'must be array' }]);
    expect(expectError(await postJson({ dataframe_split: { columns: split.columns, data: [{}] } }), 400, 'validation_failed').details).toEqual([
      { path: '/dataframe_split/data/0', problem: 'must be array' },
    ]);
    expect(expectError(await postJson({ dataframe_records: {} }), 400, 'validation_failed').details).toEqual([{ path: '/dataframe_records', problem: 'must be array' }]);
    expect(expectError(await postJson({ dataframe_records: [] }), 400, 'validation_failed').details).toEqual([{ path: '/rows', problem: 'must hold at least one record' }]);
  });

  it('ignores keys beside the DataFrame with a warning (MLflow "params"), and refuses a body that names two formats', async () => {
    const reply = await postJson({ dataframe_split: split, params: { threshold: 0.3 } });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([{ path: '/params', problem: 'unknown field, ignored' }, ...columnWarnings]);
    expectError(await postJson({ dataframe_split: split, dataframe_records: [] }), 400, 'validation_failed');
    expectError(await postJson({ ...split, instances: [] }), 400, 'validation_failed');
  });

  it('refuses more rows than MAX_BATCH with 413', async () => {
    const data = Array.from({ length: 1001 }, () => split.data[0]!);
    const error = expectError(await postJson({ columns: split.columns, data }), 413, 'payload_too_large');
    expect(error.error).toBe('"data" holds 1001 records; at most 1000 are accepted per request (a whole file: a batch job, POST /models/{name}/batch-jobs, or npm run score; README, "Batch scoring")');
  });
});

describe('field names and values as training wrote them (the manifest\'s preprocessing), on plain JSON too', () => {
  const canonical = fixture.cases[0]!.input;
  it('GET /models/churn shows the preprocessing block train.py wrote', async () => {
    const models = modelsHandler as unknown as HttpHandler;
    const reply = await invoke(models, route('GET', '/models/{name}', { name: 'churn' }));
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'models', 'churn', String(reply.json.version), 'model.json'), 'utf8')) as { preprocessing: unknown };
    expect(reply.json.preprocessing).toEqual(manifest.preprocessing);
    expect(manifest.preprocessing).toEqual({
      field_names: { lowercase: true, replace: [[' ', '_']] },
      missing_numbers: { totalcharges: 0 },
      text_values: { lowercase: true, replace: [[' ', '_']] },
    });
  });

  it('matches names case-insensitively and normalises values; a clean record scores the same', async () => {
    const raw = Object.fromEntries(Object.entries(canonical).map(([k, v]) => [k.toUpperCase(), typeof v === 'string' ? v.toUpperCase().replace(/_/g, ' ') : v]));
    const [a, b] = await Promise.all([postJson(raw), postJson(canonical)]);
    expect(a.status).toBe(200);
    expect(a.json).toEqual(b.json);
  });
});

describe('Accept: the answer format', () => {
  const rows = telcoRows.slice(0, 5);
  const csvBody = () => csvOf([telcoHeader!, ...rows]);

  it('answers CSV for Accept: text/csv: one row per record, a column per answer field, warnings last', async () => {
    const json = await postCsv(csvBody());
    const reply = await invokeText(predict, { ...churnRoute(), body: csvBody(), headers: { 'content-type': 'text/csv', accept: 'text/csv' } });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(reply.headers['X-Model-Version']).toBe(fixture.version);
    const [head, ...lines] = parse(reply.body) as string[][];
    expect(head).toEqual(['churn_probability', 'churn', 'warnings']);
    expect(lines.map(([p, c, w]) => ({ churn_probability: Number(p), churn: c === 'true', warnings: JSON.parse(w!) }))).toEqual(
      (json.json.predictions as Churn[]).map((p) => ({ ...p, warnings: columnWarnings })),
    );
    expect(lines.every(([, c]) => c === 'true' || c === 'false')).toBe(true);
  });

  it("puts each record's own warnings in its row, and an empty cell where there are none", async () => {
    const instances = [fixture.cases[0]!.input, { ...fixture.cases[1]!.input, contract: 'weekly' }];
    const reply = await invokeText(predict, { ...churnRoute(), body: JSON.stringify({ instances }), headers: { 'content-type': 'application/json', accept: 'text/csv' } });
    const [, first, second] = parse(reply.body) as string[][];
    expect(first!.at(-1)).toBe('');
    expect(JSON.parse(second!.at(-1)!)).toEqual([{ path: '/instances/1/contract', problem: expect.stringContaining('unknown value "weekly"') }]);
  });

  it("gives each of intent's class probabilities its own column", async () => {
    const options = { ...route('POST', '/models/{name}/predict', { name: 'intent' }), body: JSON.stringify({ text: 'hello there' }) };
    const json = await invoke(predict, options);
    const reply = await invokeText(predict, { ...options, headers: { 'content-type': 'application/json', accept: 'text/csv' } });
    const [head, line] = parse(reply.body) as string[][];
    const probabilities = json.json.probabilities as Record<string, number>;
    expect(head).toEqual(['intent', ...Object.keys(probabilities).map((l) => `probabilities.${l}`), 'warnings']);
    expect(line).toEqual([json.json.intent, ...Object.values(probabilities).map(String), '']);
  });

  it.each([
    [undefined, 'application/json'],
    ['*/*', 'application/json'],
    ['application/json', 'application/json'],
    ['text/*', 'text/csv'],
    ['application/json;q=0.5, text/csv', 'text/csv'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json'],
  ])('Accept %s is answered as %s', async (accept, type) => {
    const headers: Record<string, string> = { 'content-type': 'text/csv', ...(accept === undefined ? {} : { accept }) };
    const reply = await invokeText(predict, { ...churnRoute(), body: csvBody(), headers });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(`${type}; charset=utf-8`);
  });

  it('answers 406 in the JSON error shape to an Accept it cannot meet, and errors stay JSON under Accept: text/csv', async () => {
    const refused = await invoke(predict, { ...churnRoute(), body: csvBody(), headers: { 'content-type': 'text/csv', accept: 'application/xml' } });
    expectError(refused, 406, 'not_acceptable');
    const bad = await invoke(predict, { ...churnRoute(), body: 'tenure\nabc\n', headers: { 'content-type': 'text/csv', accept: 'text/csv' } });
    expectError(bad, 400, 'validation_failed');
  });

  it('answers 415 naming the types the predict routes take to another Content-Type', async () => {
    const error = expectError(await invoke(predict, { ...churnRoute(), body: 'tenure=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
    expect(error.error).toMatch(/^Content-Type must be application\/json, text\/csv,? .*multipart\/form-data/);
    expect(error.error).not.toContain('x-www-form-urlencoded');
  });
});

describe('formats and the kinds of model: a tabular model takes every format, a tensor model its own JSON only', () => {
  const dir = scratchModelsDir(true);
  const weights = JSON.parse(readFileSync(fixturePath('skl_regressor.weights.json'), 'utf8')) as { examples: { inputs: Record<string, number | boolean> }[] };
  beforeAll(async () => {
    useModelsDir(dir);
    await addModel({ file: fixturePath('skl_regressor.onnx'), name: 'house-price' });
    await addModel({ file: fixturePath('torch_multi_io.onnx'), name: 'ranker' });
  });
  afterAll(() => removeModelsDir(dir));
  const on = (name: string, options: EventOptions) => ({ ...route('POST', '/models/{name}/predict', { name }), ...options });

  it('a per-column regressor scores CSV rows (pandas writes booleans as True/False) as it scores JSON', async () => {
    const inputs = weights.examples.map((e) => e.inputs);
    const names = Object.keys(inputs[0]!);
    const csv = csvOf([names, ...inputs.map((i) => names.map((n) => (typeof i[n] === 'boolean' ? (i[n] ? 'True' : 'False') : String(i[n]))))]);
    const [fromCsv, fromJson] = await Promise.all([
      invoke(predict, on('house-price', { body: csv, headers: { 'content-type': 'text/csv' } })),
      invoke(predict, on('house-price', { body: JSON.stringify({ instances: inputs }) })),
    ]);
    expect(fromCsv.status).toBe(200);
    expect(fromCsv.json.predictions).toEqual(fromJson.json.predictions);
  });

  it('a tensor model refuses CSV with 415, a DataFrame with 400, and Accept: text/csv with 406', async () => {
    const row = { input_ids: [101, 2023, 102, 0], attention_mask: [true, true, true, false], features: [0.5, -1.25, 2] };
    expectError(await invoke(predict, on('ranker', { body: 'input_ids\n1\n', headers: { 'content-type': 'text/csv' } })), 415, 'unsupported_media_type');
    expectError(await invoke(predict, on('ranker', { body: JSON.stringify({ dataframe_records: [row] }) })), 400, 'validation_failed');
    const refused = expectError(await invoke(predict, on('ranker', { body: JSON.stringify({ instances: [row] }), headers: { 'content-type': 'application/json', accept: 'text/csv' } })), 406, 'not_acceptable');
    expect(refused.error).toContain('ranker');
    const json = await invoke(predict, on('ranker', { body: JSON.stringify({ instances: [row] }) }));
    expect(json.status).toBe(200);
  });
});

describe('the formats table the OpenAPI document is generated from', () => {
  it('lists each request format once, each JSON one recognised by keys no other uses', () => {
    expect(REQUEST_FORMATS.map((f) => f.id)).toEqual(['model-json', 'pandas-split', 'mlflow-dataframe-split', 'mlflow-dataframe-records', 'csv']);
    const keys = REQUEST_FORMATS.flatMap((f) => f.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('an event that is not from API Gateway (serverless invoke local --data with a bare customer)', () => {
  it('is answered 400 invalid_event, saying what the event must look like', async () => {
    const { lambdaContext } = await import('./helpers/lambda');
    const result = await predict(fixture.cases[0]!.input as never, lambdaContext());
    expect(result.statusCode).toBe(400);
    const body = JSON.parse(result.body) as ErrorBody;
    expect(isErrorBody(body)).toBe(true);
    expect(body.code).toBe('invalid_event');
    expect(body.error).toMatch(/API Gateway proxy event.*tests\/events\/predict\.json/);
  });
});

describe("the README's formats table", () => {
  it('lists the request formats of the table the route reads by, in its order, with their media types', () => {
    const rows = readmeTableRows('formats-table').map((cells) => cells.slice(0, 2));
    expect(rows).toEqual(REQUEST_FORMATS.map((f) => [f.title, `\`${f.mediaType}\``]));
  });
});
