import { handler as predictHandler } from '../handlers/predict';
import { isErrorBody, type ErrorBody } from './helpers/error-body';
import { invoke, type HttpHandler } from './helpers/lambda';
import { parityFixture, served } from './helpers/models';
import { route } from './helpers/routes';

const predict = predictHandler as unknown as HttpHandler;
const fixture = parityFixture();
const customer = fixture.cases[0]!;
const others = fixture.cases.slice(1, 21);

function expectError(reply: Awaited<ReturnType<typeof invoke>>, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(reply.json).toEqual({ error: expect.any(String), code, details: expect.any(Array), request_id: reply.requestId });
  expect(isErrorBody(reply.json)).toBe(true);
  return reply.json as unknown as ErrorBody;
}

describe('POST /predict', () => {
  // The default route serves churn's newest version: its golden cases say what it answers.
  const newest = served('churn');
  const golden = newest.golden.map((g) => ({ input: g.request, answer: g.answer as { churn_probability: number; churn: boolean } }));

  it('scores one customer: churn_probability, churn at the 0.5 threshold, and the model', async () => {
    const reply = await invoke(predict, { json: golden[0]!.input });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(reply.json).sort()).toEqual(['churn', 'churn_probability', 'model']);
    const p = reply.json.churn_probability as number;
    expect(Math.abs(p - golden[0]!.answer.churn_probability)).toBeLessThan(1e-5);
    expect(reply.json.churn).toBe(p >= 0.5);
    expect(reply.json.churn).toBe(golden[0]!.answer.churn);
    expect(reply.json.model).toEqual({ name: 'churn', version: newest.version });
  });

  it('scores a batch in order: {"instances": [...]} → {"predictions": [...]}', async () => {
    const reply = await invoke(predict, { json: { instances: golden.map((g) => g.input) } });
    expect(reply.status).toBe(200);
    const predictions = reply.json.predictions as { churn_probability: number; churn: boolean }[];
    expect(predictions).toHaveLength(golden.length);
    predictions.forEach((p, i) => {
      expect(Math.abs(p.churn_probability - golden[i]!.answer.churn_probability)).toBeLessThan(1e-5);
      expect(p.churn).toBe(p.churn_probability >= 0.5);
    });
    expect(reply.json.model).toEqual({ name: 'churn', version: newest.version });
  });

  it("scores the fixture's customers as scikit-learn did, through the version they were trained as", async () => {
    const reply = await invoke(predict, {
      ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: fixture.version }),
      json: { instances: [customer, ...others].map((c) => c.input) },
    });
    expect(reply.status).toBe(200);
    (reply.json.predictions as { churn_probability: number }[]).forEach((p, i) => {
      expect(Math.abs(p.churn_probability - [customer, ...others][i]!.churn_probability)).toBeLessThan(1e-5);
    });
  });

  it('gives both churn answers across the fixture (the threshold is applied, not constant)', async () => {
    const reply = await invoke(predict, { json: { instances: fixture.cases.slice(0, 200).map((c) => c.input) } });
    const decisions = new Set((reply.json.predictions as { churn: boolean }[]).map((p) => p.churn));
    expect(decisions).toEqual(new Set([true, false]));
  });

  it('reads a body with no Content-Type as JSON', async () => {
    const reply = await invoke(predict, { json: customer.input, headers: {} });
    expect(reply.status).toBe(200);
  });

  it('accepts a base64-encoded body, as API Gateway sends binary media types', async () => {
    const body = Buffer.from(JSON.stringify(customer.input)).toString('base64');
    const reply = await invoke(predict, { body, isBase64Encoded: true });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual((await invoke(predict, { json: customer.input })).json);
  });

  it('scores an unseen categorical value with no column set and warns about it', async () => {
    const reply = await invoke(predict, { json: { ...customer.input, contract: 'weekly' } });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([{ path: '/contract', problem: expect.stringContaining('unknown value "weekly"') }]);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const error = expectError(await invoke(predict, { body: '{"tenure": ' }), 400, 'invalid_json');
    expect(error.error).toBe('request body is not valid JSON');
  });

  it('answers an empty body with 400 invalid_json', async () => {
    expectError(await invoke(predict, { body: null }), 400, 'invalid_json');
  });

  it('answers a non-JSON Content-Type with 415', async () => {
    expectError(await invoke(predict, { body: 'tenure=1', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  });

  it('accepts mixed-case Content-Type headers with a charset', async () => {
    const reply = await invoke(predict, { json: customer.input, headers: { 'CONTENT-TYPE': 'Application/JSON; charset=utf-8' } });
    expect(reply.status).toBe(200);
  });

  it('names a missing field', async () => {
    const { tenure: _dropped, ...rest } = customer.input;
    const error = expectError(await invoke(predict, { json: rest }), 400, 'validation_failed');
    expect(error.details).toEqual([{ path: '/tenure', problem: 'is required' }]);
  });

  it('names wrongly typed fields, with their batch position', async () => {
    const bad = { ...customer.input, tenure: 'long', seniorcitizen: 'no', contract: 7 };
    const error = expectError(await invoke(predict, { json: { instances: [customer.input, bad] } }), 400, 'validation_failed');
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: '/instances/1/tenure', problem: 'must be integer' },
        { path: '/instances/1/seniorcitizen', problem: 'must be integer' },
        { path: '/instances/1/contract', problem: 'must be string' },
      ]),
    );
  });

  it('rejects numbers outside the manifest bounds', async () => {
    const error = expectError(await invoke(predict, { json: { ...customer.input, seniorcitizen: 2, tenure: -1 } }), 400, 'validation_failed');
    expect(error.details.map((d) => d.path).sort()).toEqual(['/seniorcitizen', '/tenure']);
  });

  it('rejects a body that is not an object', async () => {
    for (const json of [[customer.input], 'customer', 42, null]) {
      expectError(await invoke(predict, { json }), 400, 'validation_failed');
    }
  });

  it('rejects an empty batch and a batch that is not an array', async () => {
    expectError(await invoke(predict, { json: { instances: [] } }), 400, 'validation_failed');
    expectError(await invoke(predict, { json: { instances: customer.input } }), 400, 'validation_failed');
  });

  it('refuses a batch over MAX_BATCH with 413 before validating records', async () => {
    const instances = Array.from({ length: 1001 }, () => ({}));
    const error = expectError(await invoke(predict, { json: { instances } }), 413, 'payload_too_large');
    expect(error.details).toEqual([]);
  });

  it('refuses a body over the byte limit with 413', async () => {
    const body = JSON.stringify({ ...customer.input, padding: 'x'.repeat(4_200_000) });
    expectError(await invoke(predict, { body }), 413, 'payload_too_large');
  });

  it('adds CORS and security headers to answers and to errors', async () => {
    for (const reply of [await invoke(predict, { json: customer.input }), await invoke(predict, { body: '{' })]) {
      expect(reply.headers['Access-Control-Allow-Origin']).toBe('*');
      expect(reply.headers['X-Content-Type-Options']).toBe('nosniff');
      expect(Object.values(reply.headers)).not.toContain('');
    }
  });
});

describe('POST /predict with a malformed event', () => {
  it('answers a body that is not a string (a direct invocation) with 400, not 500', async () => {
    const { apiEvent, lambdaContext } = await import('./helpers/lambda');
    const event = apiEvent({ body: null });
    (event as unknown as { body: unknown }).body = { tenure: 1 };
    const result = await predict(event, lambdaContext());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).code).toBe('invalid_json');
  });
});

describe('POST /predict input policy', () => {
  it('accepts numeric strings, as the raw Telco CSV has them, and scores them as numbers', async () => {
    const asText = { ...customer.input, tenure: String(customer.input.tenure), totalcharges: String(customer.input.totalcharges), monthlycharges: String(customer.input.monthlycharges) };
    const reply = await invoke(predict, { json: asText });
    expect(reply.status).toBe(200);
    expect(reply.json.churn_probability).toBe((await invoke(predict, { json: customer.input })).json.churn_probability);
    expect(reply.json).not.toHaveProperty('warnings');
  });

  it.each([['" "'], ['"abc"'], ['"0x1A"'], ['"Infinity"'], ['"1,234.5"'], ['""'], ['true'], ['null'], ['[]'], ['{}']])(
    'rejects %s for a numeric field',
    async (raw) => {
      const body = JSON.stringify({ ...customer.input, monthlycharges: '__X__' }).replace('"__X__"', raw);
      const error = expectError(await invoke(predict, { body }), 400, 'validation_failed');
      expect(error.details).toEqual([{ path: '/monthlycharges', problem: expect.stringMatching(/^must be/) }]);
    },
  );

  it('fills a blank or null totalcharges with 0, as the manifest says training did; other text is still refused', async () => {
    const zero = await invoke(predict, { json: { ...customer.input, totalcharges: 0 } });
    for (const totalcharges of [' ', '', '   ', null]) {
      const reply = await invoke(predict, { json: { ...customer.input, totalcharges } });
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual(zero.json);
    }
    for (const totalcharges of ['abc', '_', 'n/a']) {
      const error = expectError(await invoke(predict, { json: { ...customer.input, totalcharges } }), 400, 'validation_failed');
      expect(error.details).toEqual([{ path: '/totalcharges', problem: 'must be number' }]);
    }
  });

  it('rejects a non-integer for an integer field, even as text', async () => {
    for (const tenure of [1.5, '1.5']) {
      const error = expectError(await invoke(predict, { json: { ...customer.input, tenure } }), 400, 'validation_failed');
      expect(error.details).toEqual([{ path: '/tenure', problem: 'must be integer' }]);
    }
  });

  it('rejects numbers beyond the float32 range the model computes in', async () => {
    for (const [field, value] of [['tenure', 1e39], ['totalcharges', 3.5e38], ['monthlycharges', 1e39]] as const) {
      const error = expectError(await invoke(predict, { json: { ...customer.input, [field]: value } }), 400, 'validation_failed');
      expect(error.details).toEqual([{ path: `/${field}`, problem: expect.stringMatching(/^must be [<>]= /) }]);
    }
  });

  it('rejects non-finite numbers such as 1e999', async () => {
    const body = JSON.stringify({ ...customer.input, monthlycharges: '__X__' }).replace('"__X__"', '1e999');
    const error = expectError(await invoke(predict, { body }), 400, 'validation_failed');
    expect(error.details.map((d) => d.path)).toEqual(['/monthlycharges']);
  });

  it('ignores fields the model does not use and says so in warnings', async () => {
    const reply = await invoke(predict, { json: { ...customer.input, customerid: '7590-vhveg', 'a/b~c': 1 } });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([
      { path: '/customerid', problem: 'unknown field, ignored' },
      { path: '/a~1b~0c', problem: 'unknown field, ignored' },
    ]);
  });

  it('reports unknown fields and values with their batch position', async () => {
    const reply = await invoke(predict, { json: { instances: [customer.input, { ...customer.input, note: 'x', contract: 'weekly' }], trace: 1 } });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([
      { path: '/trace', problem: 'unknown field, ignored' },
      { path: '/instances/1/note', problem: 'unknown field, ignored' },
      { path: '/instances/1/contract', problem: expect.stringContaining('unknown value "weekly"') },
    ]);
  });

  it('echoes at most 64 characters of a key or value the client sent', async () => {
    const reply = await invoke(predict, { json: { ...customer.input, ['k'.repeat(1000)]: 1, contract: 'x'.repeat(200) } });
    expect(reply.status).toBe(200);
    expect(reply.json.warnings).toEqual([
      { path: `/${'k'.repeat(64)}…`, problem: 'unknown field, ignored' },
      { path: '/contract', problem: `unknown value "${'x'.repeat(64)}…": not seen in training, so no contract column is set` },
    ]);
  });

  it('lists at most 20 problems for a badly broken batch', async () => {
    const error = expectError(await invoke(predict, { json: { instances: Array.from({ length: 50 }, () => ({})) } }), 400, 'validation_failed');
    expect(error.details).toHaveLength(20);
    expect(error.error).toContain('first 20 shown');
  });
});
