import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The path this API is served under, as the request came in: "/prod" on
 * API Gateway's own host, a custom domain's base path ("/v1"), or "" at a
 * domain's root. API Gateway's requestContext.path is the whole path the
 * client asked for, so it is that path less the route's own (the template
 * filled with the path parameters). npm start's local gateway fills
 * requestContext.path the same way.
 */
export function basePath(event: APIGatewayProxyEvent): string {
  const stage = event.requestContext?.stage ?? '';
  const whole = event.requestContext?.path ?? '';
  const own = event.resource.replace(/\{(\w+)\+?\}/g, (_, name: string) => event.pathParameters?.[name] ?? '');
  return whole.endsWith(own) ? whole.slice(0, whole.length - own.length) : stage ? `/${stage}` : '';
}
