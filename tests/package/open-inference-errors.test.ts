import { protocolSchema } from '../helpers/open-inference-spec';
import { resourcesOfType, template } from './artifacts';
import { stages } from './stages';

const errorSchema = protocolSchema('inference_error_response');

/** What API Gateway substitutes into a response template. */
function render(templateText: string): unknown {
  return JSON.parse(templateText.replace(/\$context\.requestId/g, 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef').replace(/\$context\.error\.messageString/g, '"Invalid request body"'));
}

describe.each(stages.filter((s) => s.name !== 'dev-arm64'))('gateway responses of $name on the /v2 routes', ({ name }) => {
  it('every rendered GatewayResponse validates against the protocol\'s inference_error_response', () => {
    const responses = resourcesOfType(template(name), 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties);
    expect(responses.length).toBeGreaterThan(0);
    for (const response of responses) {
      const body = render(response.ResponseTemplates['application/json']) as Record<string, unknown>;
      expect(errorSchema(body)).toBe(true);
      expect(typeof body.error).toBe('string');
    }
  });
});
