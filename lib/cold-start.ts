import { settings } from './settings';

/** Requests this container has begun. */
let requests = 0;

/**
 * One cold-start flag for the access line, /health and the trace. Powertools'
 * own flag is false on every request outside Lambda (it reads
 * AWS_LAMBDA_INITIALIZATION_TYPE, which serverless-offline does not set), so
 * the access lines of `npm start` said false while /health said true.
 * Called once per request, by the first middleware of the chain
 * (lib/http/api.ts).
 */
export function requestBegins(): void {
  requests++;
}

/** Whether the request under way is this container's first; never when Lambda started the container ahead of requests (provisioned concurrency). */
export function isColdStart(): boolean {
  return requests === 1 && !settings.provisionedConcurrency();
}
