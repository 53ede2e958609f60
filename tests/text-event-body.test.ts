import { handler as predictHandler } from '../handlers/predict';
import { invoke, type HttpHandler } from './helpers/lambda';
import { parityFixture } from './helpers/models';
import { route } from './helpers/routes';

/**
 * A hand-made event may carry its body as text (isBase64Encoded false).
 * The service reads that text as it reads the same body's UTF-8 bytes sent
 * base64-encoded, as API Gateway sends them: a byte-order mark is dropped and
 * a lone surrogate (which UTF-8 cannot hold) reads as U+FFFD, so the two
 * answers are the same, warning for warning.
 */
const predict = predictHandler as unknown as HttpHandler;
const fixture = parityFixture();
const churnRoute = () => route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: fixture.version });
const customer = fixture.cases[0]!.input as Record<string, unknown>;

async function bothWays(text: string) {
  const headers = { 'content-type': 'application/json' };
  const asText = await invoke(predict, { ...churnRoute(), body: text, headers });
  const asBase64 = await invoke(predict, { ...churnRoute(), body: Buffer.from(text, 'utf8').toString('base64'), isBase64Encoded: true, headers });
  const withoutId = ({ status, json: { request_id: _id, ...json } }: Awaited<ReturnType<typeof invoke>>) => ({ status, json });
  return { asText: withoutId(asText), asBase64: withoutId(asBase64) };
}

describe('a body sent as text reads as its UTF-8 bytes would', () => {
  it('drops a leading byte-order mark', async () => {
    const { asText, asBase64 } = await bothWays(`\uFEFF${JSON.stringify(customer)}`);
    expect(asText.status).toBe(200);
    expect(asText).toEqual(asBase64);
  });

  it('reads a lone surrogate as U+FFFD, in what the answer says of it too', async () => {
    // The character itself in the text, not JSON's \ud800 escape (which JSON.stringify writes).
    const text = JSON.stringify({ ...customer, contract: 'month-to-month\uD800' }).replace('\\ud800', '\uD800');
    expect(text).toContain('\uD800');
    const { asText, asBase64 } = await bothWays(text);
    expect(asText).toEqual(asBase64);
    expect(JSON.stringify(asText.json)).toContain('\uFFFD');
  });

  it('refuses an empty body the same way', async () => {
    const { asText, asBase64 } = await bothWays('');
    expect(asText.status).toBe(400);
    expect(asText).toEqual(asBase64);
  });
});
