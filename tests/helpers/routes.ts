import type { EventOptions } from './lambda';

/**
 * An event for a route template as API Gateway would send it: the template
 * as `resource`, the filled-in path, and the path parameters.
 * route('GET', '/v2/models/{name}/ready', { name: 'churn' })
 */
export function route(method: string, resource: string, params: Record<string, string> = {}, rest: EventOptions = {}): EventOptions {
  const path = resource.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(params[key] ?? ''));
  return { method, resource, path, pathParameters: Object.keys(params).length > 0 ? params : undefined, headers: { 'content-type': 'application/json' }, ...rest };
}
