import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { handler as predictHandler } from '../handlers/predict';
import { isErrorBody } from './helpers/error-body';
import { apiEvent, lambdaContext, type HttpHandler } from './helpers/lambda';
import { parityFixture } from './helpers/models';

const predict = predictHandler as unknown as HttpHandler;
const customers = parityFixture().cases.slice(0, 50).map((c) => c.input);
const featureNames = Object.keys(customers[0]!);
const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'instances', ''];

/** Sets own properties, even "__proto__", as JSON.parse would. */
function withOwn(base: object, edits: [string, unknown][]): Record<string, unknown> {
  const record: Record<string, unknown> = { ...base };
  for (const [key, value] of edits) {
    if (value === undefined) delete record[key];
    else Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return record;
}

const json = fc.jsonValue({ maxDepth: 3 });
const key = fc.oneof(fc.constantFrom(...featureNames), fc.constantFrom(...hostileKeys), fc.string({ maxLength: 12 }));
const fieldValue = fc.oneof(json, fc.constant(undefined), fc.constantFrom('29.85', ' ', '1e999', 'NaN', '-0', '0x10', '١٢'));
const customer = fc
  .tuple(fc.constantFrom(...customers), fc.array(fc.tuple(key, fieldValue), { maxLength: 4 }))
  .map(([base, edits]) => withOwn(base, edits));
const deepNesting = fc.integer({ min: 1, max: 200_000 }).map((n) => `{"tenure":${'['.repeat(n)}${']'.repeat(n)}}`);
// Rare on purpose: each is a megabyte of work.
const hugeString = fc.constantFrom('x', 'é', '\u0000').map((ch) => JSON.stringify({ ...customers[0], contract: ch.repeat(1_000_000 / ch.length) }));

// Tables: CSV and DataFrames (pandas split, MLflow) of edited customers, with hostile column names and cells.
const cellText = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('"', '""', ',', '\r\n', ' ', 'NaN', 'True'));
const tableRows = fc.array(
  fc.tuple(fc.constantFrom(...customers), fc.array(fc.tuple(key, fc.oneof(fieldValue, cellText)), { maxLength: 3 })).map(([base, edits]) => withOwn(base, edits)),
  { minLength: 0, maxLength: 4 },
);
const columnsOf = (rows: Record<string, unknown>[]) => [...new Set(rows.flatMap((r) => Object.keys(r)))];
const csvText = tableRows.map((rows) => {
  const columns = columnsOf(rows);
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return stringify([columns, ...rows.map((r) => columns.map((c) => text(r[c])))]);
});
const dataFrame = tableRows.chain((rows) => {
  const columns = columnsOf(rows);
  const split = { columns, index: rows.map((_, i) => i), data: rows.map((r) => columns.map((c) => r[c] ?? null)) };
  return fc.constantFrom(split, { dataframe_split: split }, { dataframe_records: rows }, { dataframe_split: split, params: {} });
});

const bodyText = fc.oneof(
  { weight: 10, arbitrary: csvText },
  { weight: 10, arbitrary: dataFrame.map((d) => JSON.stringify(d)) },
  { weight: 30, arbitrary: customer.map((c) => JSON.stringify(c)) },
  { weight: 20, arbitrary: fc.array(customer, { maxLength: 5 }).map((instances) => JSON.stringify({ instances })) },
  { weight: 10, arbitrary: json.map((v) => JSON.stringify({ instances: v })) },
  { weight: 10, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 10, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 5, arbitrary: fc.constant(`{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},${JSON.stringify(customers[0]).slice(1)}`) },
  { weight: 3, arbitrary: deepNesting },
  { weight: 1, arbitrary: hugeString },
);

const contentType = fc.oneof(
  fc.constantFrom('application/json', 'APPLICATION/JSON; charset=utf-8', 'application/vnd.api+json', 'text/csv', 'Text/CSV; charset=utf-8', 'text/plain', 'multipart/form-data', ''),
  fc.string({ maxLength: 30 }),
);
const headerName = fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE', 'cOnTeNt-TyPe');
const accept = fc.option(fc.oneof(fc.constantFrom('text/csv', 'application/json', '*/*', 'text/*', 'application/xml', 'text/csv;q=0', ''), fc.string({ maxLength: 20 })), { nil: undefined });
const headers = fc.oneof(
  fc.constant(null),
  fc.constant({}),
  fc.tuple(headerName, contentType, accept).map(([name, value, a]) => ({ [name]: value, ...(a === undefined ? {} : { accept: a }) })),
);

const event: fc.Arbitrary<APIGatewayProxyEvent> = fc
  .record({
    body: fc.oneof({ weight: 20, arbitrary: bodyText }, { weight: 1, arbitrary: fc.constant(null) }),
    base64: fc.oneof({ weight: 4, arbitrary: fc.constant('no' as const) }, fc.constantFrom('text' as const, 'bytes' as const)),
    bytes: fc.uint8Array({ maxLength: 64 }),
    headers,
  })
  .map(({ body, base64, bytes, headers: h }) => {
    const e = apiEvent({ body: null });
    e.headers = h as APIGatewayProxyEvent['headers'];
    if (base64 === 'no') e.body = body;
    else {
      // "bytes" is arbitrary binary, mostly invalid UTF-8.
      e.body = Buffer.from(base64 === 'text' ? (body ?? '') : bytes).toString('base64');
      e.isBase64Encoded = true;
    }
    return e;
  });

describe('POST /predict under generated hostile input', () => {
  it('never answers 5xx, never throws, always in the documented shapes, and leaves prototypes alone', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(event, async (e) => {
          const result = await predict(e, lambdaContext());
          statuses.set(result.statusCode, (statuses.get(result.statusCode) ?? 0) + 1);
          expect(result.statusCode).toBeLessThan(500);
          if (String(result.headers?.['content-type']).startsWith('text/csv')) {
            // A CSV answer: a header ending in the warnings column, then at least one row.
            expect(result.statusCode).toBe(200);
            const [head, ...rows] = parse(result.body) as string[][];
            expect(head).toEqual(['churn_probability', 'churn', 'warnings']);
            expect(rows.length).toBeGreaterThan(0);
          } else {
            const body = JSON.parse(result.body) as Record<string, unknown>;
            if (result.statusCode >= 400) expect(isErrorBody(body)).toBe(true);
            else expect(body.churn_probability ?? body.predictions).toBeDefined();
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: 10_000, seed: 20261123, endOnFailure: true },
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    await new Promise((resolve) => setImmediate(resolve));
    process.stdout.write(`fuzz statuses: ${JSON.stringify([...statuses].sort())}\n`);
    expect(unhandled).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    // The generator must reach both sides of the contract, not just errors.
    expect(statuses.get(200)).toBeGreaterThan(500);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
