import { request } from 'node:http';
import { latency } from './stats';

export interface HttpFigure {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  errors: number;
}

function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // agent: false — a new connection per request on both sides, since
    // gunicorn's sync worker closes every connection anyway.
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A sequential client on 127.0.0.1 for a bounded time: requests/s and
 * latency percentiles. Written here rather than taken from autocannon, which
 * miscounts latency against a server that closes each connection: against
 * gunicorn's sync worker it reported a p50 of 790 ms at 1,600 requests/s on
 * one connection, and hundreds of errors.
 */
export async function loadTest(url: string, headers: Record<string, string>, body: string, seconds: number): Promise<HttpFigure> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`load tests only aim at 127.0.0.1, not ${target.hostname}`);
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until && times.length + errors < 200_000) {
    const t = performance.now();
    try {
      const status = await post(target, headers, body);
      if (status === 200) times.push(performance.now() - t);
      else errors++;
    } catch {
      errors++;
    }
  }
  if (times.length === 0) throw new Error(`no 200 answers from ${url}`);
  const l = latency(times);
  return { requestsPerSecond: times.length / ((performance.now() - started) / 1000), p50Ms: l.p50, p99Ms: l.p99, ok: times.length, errors };
}
