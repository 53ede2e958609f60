// API Gateway's own answers (no function ran), rendered from the template's
// GatewayResponses the way API Gateway renders them: the response type's
// GatewayResponse if there is one, else DEFAULT_4XX / DEFAULT_5XX by status.
import type { GatewaySpec } from './gateway-spec';

export type ResponseType =
  | 'ACCESS_DENIED'
  | 'INVALID_API_KEY'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'BAD_REQUEST'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_5XX';

/** API Gateway's default status and $context.error.message for each type. */
const DEFAULTS: Record<ResponseType, { status: number; message: string }> = {
  // A caller the REST API's resource policy does not allow.
  ACCESS_DENIED: { status: 403, message: 'User: anonymous is not authorized to perform: execute-api:Invoke on this resource with an explicit deny' },
  INVALID_API_KEY: { status: 403, message: 'Forbidden' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  THROTTLED: { status: 429, message: 'Too Many Requests' },
  QUOTA_EXCEEDED: { status: 429, message: 'Limit Exceeded' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  // A request line no route can be read from (not one of API Gateway's own
  // types: its edge refuses such a request with a 400 before any route, and
  // DEFAULT_4XX shapes it here).
  BAD_REQUEST: { status: 400, message: 'Bad Request' },
  // Lambda refused the invocation or the function failed: API Gateway
  // answers a throttled function (reserved concurrency reached) with a 500
  // and a failed one with a 502, both of this type (gateway-server.ts passes
  // the status; 504 is only the type's documented default).
  INTEGRATION_FAILURE: { status: 504, message: 'Internal server error' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
  DEFAULT_5XX: { status: 500, message: 'Internal server error' },
};

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The $context variables the templates may use; any other stops the render. */
function render(template: string, values: Record<string, string>): string {
  return template.replace(/\$(?:context\.[A-Za-z.]+|\{context\.[A-Za-z.]+\})/g, (reference) => {
    const name = reference.replace(/^\$\{?|\}$/g, '');
    const value = values[name];
    if (value === undefined) throw new Error(`gateway response template uses ${reference}, which the local gateway does not provide`);
    return value;
  });
}

/**
 * `retryAfter`: the seconds this gateway computed for the answer (its token
 * bucket, its quota period), sent in place of the response's static
 * Retry-After; only where the template's response declares one.
 */
export function gatewayAnswer(spec: GatewaySpec, type: ResponseType, requestId: string, status?: number, retryAfter?: number): Answer {
  const defaults = DEFAULTS[type];
  const code = status ?? defaults.status;
  const response = spec.responses.get(type) ?? spec.responses.get(code >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
  const message = defaults.message;
  const body = response?.template
    ? render(response.template, {
        'context.requestId': requestId,
        'context.error.message': message,
        'context.error.messageString': JSON.stringify(message),
        'context.error.responseType': type,
      })
    : JSON.stringify({ message });
  // The template's own Content-Type, if it sets one, else JSON's.
  const headers: Record<string, string> = Object.keys(response?.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
    ? { ...response!.headers }
    : { 'content-type': 'application/json', ...response?.headers };
  const retryHeader = Object.keys(headers).find((h) => h.toLowerCase() === 'retry-after');
  if (retryHeader !== undefined && retryAfter !== undefined) headers[retryHeader] = String(retryAfter);
  return {
    // A type's own GatewayResponse may set its status; a default one keeps the type's.
    status: spec.responses.has(type) ? (response?.statusCode ?? code) : code,
    headers,
    body,
  };
}

/**
 * Every $context reference in the template's GatewayResponses renders:
 * checked once at start, so a template the gateway cannot fill stops it
 * there rather than on the first refused request.
 */
export function checkTemplates(spec: GatewaySpec): void {
  for (const [type, response] of spec.responses) {
    if (response.template) render(response.template, { 'context.requestId': '', 'context.error.message': '', 'context.error.messageString': '""', 'context.error.responseType': type });
  }
}
