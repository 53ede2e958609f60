import { startLocalApi, type LocalApi, type StartOptions } from '../../scripts/local-api';
import { capturedOutput } from './output';

/**
 * startLocalApi, with everything the local API prints (its banner, the
 * functions' log and EMF lines, serverless-offline's own lines) also in the
 * test file's captured output, so a failing test shows what the server said
 * meanwhile. Nothing is printed; `log` holds it all as before.
 */
export async function startCapturedLocalApi(options?: StartOptions): Promise<LocalApi> {
  const api = await startLocalApi(options);
  const output = capturedOutput();
  output.write(api.log.join(''));
  for (const stream of [api.child.stdout!, api.child.stderr!]) stream.on('data', (chunk: Buffer) => output.write(chunk));
  return api;
}

/** A request to a local API's route with a key and a JSON content type; the caller's own headers win. */
export function callWithKey(base: string, key: string, route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${route}`, { ...init, headers: { 'x-api-key': key, 'content-type': 'application/json', ...init.headers } });
}
