import { readiness, serverReadiness } from '../../dataplane/readiness';
import type { Answer } from '../../http/dispatch';
import { jsonResponse } from '../../http/response';

/** Not ready answers 503, so that probes can read the status code alone. */
const readyResponse = (ready: boolean, body: unknown) => jsonResponse(ready ? 200 : 503, body);

/** Model ready: the version (or every version the traffic file serves) loads and passes its checks and golden cases. */
export async function modelReady(name: string, version?: string): Promise<Answer> {
  const { ready, reason, facts } = await readiness(name, version);
  return { response: readyResponse(ready, ready ? { name, ready } : { name, ready, reason }), facts };
}

/** Server live: the function answers. */
export function serverLive(): Answer {
  return { response: jsonResponse(200, { live: true }) };
}

/**
 * Server ready: every model ready, as the protocol defines it ("all models
 * ready"). The spec names the field of this object "live"; "ready" is added
 * beside it because that is what KServe's servers and its OpenAPI document
 * return.
 */
export async function serverReady(): Promise<Answer> {
  const { ready, notReady } = await serverReadiness();
  return { response: readyResponse(ready, ready ? { live: true, ready } : { live: false, ready, not_ready: notReady }) };
}
