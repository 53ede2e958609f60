import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { NotFound } from '../errors';
import { factsOfError, recordServed, type ServedFacts } from '../observability/request-facts';
import { shorten } from '../shorten';
import { routes, type FunctionName } from './routes';

/** A route's answer: the response, and what serving it established (for the access line and metrics). */
export interface Answer {
  response: APIGatewayProxyResult;
  facts?: ServedFacts;
}

/** The event as a function's routes see it: API Gateway's, its body perhaps already read. */
type RouteEvent = Pick<APIGatewayProxyEvent, 'resource' | 'httpMethod' | 'pathParameters'>;

export type Operations<E> = Record<string, (event: E) => Promise<Answer>>;

const routeKey = (method: string, path: string) => `${method} ${path}`;

/**
 * A function's handler from its operations, one per route of the route table
 * (./routes.js) that names the function: the event's method and resource
 * template pick the operation. A route the table gives the function without
 * an operation here, or an operation the table does not list, fails at init,
 * so the table, the template and the code cannot drift apart. An event for
 * any other route is 404 `not_found`, as every unknown route is.
 */
export function dispatcher<E extends RouteEvent>(fn: FunctionName, operations: Operations<E>): (event: E) => Promise<APIGatewayProxyResult> {
  const table = new Map<string, (event: E) => Promise<Answer>>();
  const listed = routes.filter((r) => r.function === fn);
  for (const route of listed) {
    const operation = Object.hasOwn(operations, route.operation) ? operations[route.operation] : undefined;
    if (operation === undefined) throw new Error(`the ${fn} function has no operation ${route.operation} for ${route.method} ${route.path} (lib/http/routes.js)`);
    table.set(routeKey(route.method, route.path), operation);
  }
  const unlisted = Object.keys(operations).find((name) => !listed.some((r) => r.operation === name));
  if (unlisted !== undefined) throw new Error(`the ${fn} function answers ${unlisted}, which lib/http/routes.js does not give it`);

  return async (event) => {
    const operation = table.get(routeKey(event.httpMethod, event.resource));
    if (operation === undefined) throw new NotFound(`no such route: ${shorten(String(event.httpMethod))} ${shorten(String(event.resource))}`);
    try {
      const answer = await operation(event);
      recordServed(event, answer.facts);
      return answer.response;
    } catch (error) {
      recordServed(event, factsOfError(error));
      throw error;
    }
  };
}

/** A path parameter the route's template has; API Gateway always fills it, a hand-made event may not (404). */
export function pathParameter(event: RouteEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (value === undefined || value === null) throw new NotFound(`no such route: ${shorten(String(event.resource))} without {${name}}`);
  return value;
}
