import { isErrorBody } from '../helpers/error-body';
import { resourcesOfType, template } from './artifacts';
import { stages } from './stages';

/**
 * API Gateway's own answers, the status each must carry (null: the
 * gateway's own: INTEGRATION_FAILURE is a 500 for a throttled function, a
 * 502 for a failed one) and the Retry-After of those a client should retry
 * (README, "Limits that explain themselves").
 */
const expected: Record<string, { status: string | null; code: string; retryAfter?: string }> = {
  ACCESS_DENIED: { status: '403', code: 'access_denied' },
  INVALID_API_KEY: { status: '403', code: 'invalid_api_key' },
  MISSING_AUTHENTICATION_TOKEN: { status: '404', code: 'not_found' },
  THROTTLED: { status: '429', code: 'throttled', retryAfter: "'1'" },
  QUOTA_EXCEEDED: { status: '429', code: 'quota_exceeded', retryAfter: "'86400'" },
  REQUEST_TOO_LARGE: { status: '413', code: 'payload_too_large' },
  WAF_FILTERED: { status: '403', code: 'request_blocked' },
  INTEGRATION_FAILURE: { status: null, code: 'function_unavailable', retryAfter: "'1'" },
  DEFAULT_4XX: { status: null, code: 'bad_request' },
  DEFAULT_5XX: { status: null, code: 'gateway_error' },
};

/** What API Gateway substitutes into a response template. */
function render(templateText: string): unknown {
  return JSON.parse(
    templateText.replace(/\$context\.requestId/g, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef').replace(/\$context\.error\.messageString/g, '"Invalid request body"'),
  );
}

describe.each(stages.filter((s) => s.name !== 'dev-arm64'))('gateway responses of $name', ({ name }) => {
  const responses = resourcesOfType(template(name), 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);

  it('map each of API Gateway’s own answers to our JSON error shape', () => {
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(Object.keys(expected).sort());
    for (const response of responses) {
      const want = expected[response.ResponseType as string]!;
      expect(response.RestApiId).toEqual({ Ref: 'ApiGatewayRestApi' });
      expect(response.StatusCode ?? null).toBe(want.status);
      const body = render(response.ResponseTemplates['application/json']);
      expect(isErrorBody(body)).toBe(true);
      expect((body as { code: string }).code).toBe(want.code);
      expect(response.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'*'");
      // Every answer to retry says when, and a browser may read it.
      expect({ type: response.ResponseType, retryAfter: response.ResponseParameters['gatewayresponse.header.Retry-After'] }).toEqual({ type: response.ResponseType, retryAfter: want.retryAfter });
      if (want.retryAfter) expect(response.ResponseParameters['gatewayresponse.header.Access-Control-Expose-Headers']).toBe("'Retry-After'");
    }
  });
});
