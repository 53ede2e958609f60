import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { startLocalApi, stopProcessGroup, type LocalApi } from '../../scripts/local-api';

/**
 * The local gateway (npm start) under hostile requests, over loopback: the
 * probe's requests that got a 500, then random methods, paths with encoded
 * segments, query and header names drawn from a list holding every
 * Object.prototype member, and malformed request lines. None may get a 5xx.
 * Bounded: a fixed number of requests, each with a timeout.
 */

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const NAMES = [...PROTOTYPE_NAMES, 'x-api-key', 'content-type', 'accept', 'a', 'name', 'version', 'prototype', '__defineGetter__', ''];
const SEGMENTS = ['models', 'churn', 'intent', 'predict', 'versions', 'labels', 'stable', '1.0.0', 'v2', 'health', 'ready', 'infer', 'docs', 'openapi.json', '%2e%2e', '%2E', '..', '.', '%2F', '%00', '%', '%E0%A4%A', '%C3%A9', '{name}', '__proto__', 'constructor'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'FOO'];

interface Reply {
  status: number;
  body: string;
}

/** Sends one request as written: the path is not normalised by any URL parser on our side. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a socket and reads the status line of the answer (0 if the server closed without one). */
function sendRaw(port: number, bytes: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 60))}`)));
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (/^HTTP\/1\.1 \d{3}/.test(text)) socket.end();
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)) : reject(error)));
    socket.write(bytes, 'latin1');
  });
}

describe('the local gateway under hostile requests', () => {
  let api: LocalApi;
  let port: number;
  let key: string;

  beforeAll(async () => {
    api = await startLocalApi();
    port = Number(new URL(api.base).port);
    key = api.keys['ml-inference-local-pro']!;
  }, 120_000);

  afterAll(async () => {
    if (api) await stopProcessGroup(api.child);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('serves a query parameter and a header named %s like any other: 200', async (name) => {
    const query = await send(port, 'GET', `/local/health?${name}=1`, { 'x-api-key': key });
    expect(query.status).toBe(200);
    const header = await send(port, 'GET', '/local/health', { 'x-api-key': key, [name]: '1' });
    expect(header.status).toBe(200);
  });

  it('answers a request line no URL parser accepts with 400 in the gateway error shape, and writes its access line', async () => {
    const before = api.log.join('').length;
    expect(await sendRaw(port, 'GET http://[::1/local/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).toBe(400);
    const reply = await send(port, 'GET', 'http://[::1/local/health', { 'x-api-key': key });
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ error: 'Bad Request', code: 'bad_request', details: [], request_id: expect.any(String) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.log.join('').slice(before)).toMatch(/"status":400/);
  });

  it('routes %2e%2e segments as sent, as API Gateway does: never to another model', async () => {
    const reply = await send(port, 'POST', '/local/models/churn/versions/%2e%2e/%2e%2e/intent/predict', { 'x-api-key': key, 'content-type': 'application/json' }, '{"text":"hello"}');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'not_found' });
    const version = await send(port, 'POST', '/local/models/churn/versions/%2e%2e/predict', { 'x-api-key': key, 'content-type': 'application/json' }, '{"text":"hello"}');
    expect(version.status).toBe(404);
    expect(JSON.parse(version.body)).toMatchObject({ code: 'model_not_found', error: expect.stringContaining('has no version ".."') });
  });

  it('routes a path with one trailing slash as the path without it, as API Gateway does: GET /v2/ is server metadata', async () => {
    const slashed = await send(port, 'GET', '/local/v2/', { 'x-api-key': key });
    expect(slashed.status).toBe(200);
    expect(JSON.parse(slashed.body)).toEqual(JSON.parse((await send(port, 'GET', '/local/v2', { 'x-api-key': key })).body));
    expect((await send(port, 'GET', '/local/models/churn/', { 'x-api-key': key })).status).toBe(200);
    expect((await send(port, 'GET', '/local/v2//', { 'x-api-key': key })).status).toBe(404);
  });

  it('never answers a random request with a 5xx', async () => {
    const requests = fc.record({
      method: fc.constantFrom(...METHODS),
      segments: fc.array(fc.constantFrom(...SEGMENTS), { minLength: 0, maxLength: 6 }),
      stage: fc.constantFrom('/local', '/local', '/dev', ''),
      query: fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('1', '', '%', '%2e%2e', 'x+y', '%20')), { maxLength: 3 }),
      headers: fc.array(fc.tuple(fc.constantFrom(...NAMES.filter((n) => n !== '' && n !== 'content-length')), fc.constantFrom('1', 'application/json', 'text/csv', '*/*')), { maxLength: 3 }),
      keyed: fc.boolean(),
      body: fc.constantFrom(undefined, '', '{}', '{"text":"hi"}', '{', 'a,b\n1,2', '[]'),
    });
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(requests, async ({ method, segments, stage, query, headers, keyed, body }) => {
        const search = query.length ? `?${query.map(([n, v]) => `${encodeURIComponent(n)}=${v}`).join('&')}` : '';
        const path = `${stage}/${segments.join('/')}${search}`;
        const sent: Record<string, string> = Object.fromEntries(headers);
        if (keyed) sent['x-api-key'] = key;
        const reply = await send(port, method, path, sent, method === 'GET' || method === 'HEAD' ? undefined : body);
        if (reply.status >= 500) failures.push(`${method} ${path} ${JSON.stringify(sent)} → ${reply.status} ${reply.body.slice(0, 200)}`);
        return reply.status < 500;
      }),
      { numRuns: 250, seed: 20261203, endOnFailure: true },
    );
    expect(failures).toEqual([]);
  }, 240_000);

  it('never answers a malformed request line with a 5xx', async () => {
    const lines = [
      'GET http://[::1/local/health HTTP/1.1',
      'GET * HTTP/1.1',
      'GET 127.0.0.1:3000 HTTP/1.1',
      'GET local/health HTTP/1.1',
      'GET //local/health HTTP/1.1',
      'GET /local/health?%zz=%zz HTTP/1.1',
      'GET /local/%E0%A4%A HTTP/1.1',
      'GET http:///local/health HTTP/1.1',
      'GET http://127.0.0.1:1/local/health HTTP/1.1',
      'POST /local/predict HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6',
      'GET /local/health HTTP/1.1\r\n__proto__: 1\r\nconstructor: 2',
      'GET /local/health HTTP/9.9',
      'BREW /local/health HTTP/1.1',
    ];
    for (const line of lines) {
      const status = await sendRaw(port, `${line}\r\nHost: 127.0.0.1\r\nx-api-key: ${key}\r\nConnection: close\r\n\r\n`);
      expect({ line, status: status < 500 }).toEqual({ line, status: true });
    }
  }, 120_000);
});
