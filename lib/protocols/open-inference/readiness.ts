import { readiness, serverReadiness } from '../../dataplane/readiness';
import type { Answer } from '../../http/dispatch';
import { jsonResponse } from '../../http/response';

/** Not ready answers 503, so that probes can read the status code alone. */
const readyResponse = (ready: boolean, body: unknown) => jsonResponse(ready ? 200 : 503, body);

/** Model ready: the version (or every version the traffic file serves) loads and passes its checks and golden cases. */
export async function modelReady(name: string, version?: string): Promise<Answer> {
  const { ready, reason, facts } = await readiness(name, version);
  // Not ready: the reason, and as `error` too, the string every protocol error response carries.
  return { response: readyResponse(ready, ready ? { name, ready } : { name, ready, reason, error: `model "${name}" is not ready: ${reason}` }), facts };
}

/** Server live: the function answers. */
export function serverLive(): Answer {
  return { response: jsonResponse(200, { live: true }) };
}

/**
 * Server ready: every model ready, as the protocol defines it ("all models
 * ready"). The spec names the field of this object "live"; "ready" is added
 * beside it because that is what KServe's servers and its OpenAPI document
 * return. `live` is true whatever the models: the server answered, as
 * /v2/health/live says.
 */
export async function serverReady(): Promise<Answer> {
  const { ready, notReady } = await serverReadiness();
  const body = ready ? { live: true, ready } : { live: true, ready, not_ready: notReady, error: `models not ready: ${notReady.join(', ')}` };
  return { response: readyResponse(ready, body) };
}
