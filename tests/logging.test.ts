import { invoke, type HttpHandler } from './helpers/lambda';
import { accessLines, captureOutput } from './helpers/log-lines';
import { parityFixture } from './helpers/models';
import { changeSettings } from './helpers/settings';

const API_KEY = 'k3y-Va1ue-that-must-never-be-logged-7f3a9c';
const API_KEY_ID = 'a1b2c3d4e5';
const MARKER = 'zz-body-marker-zz';

describe('logs at the default level', () => {
  let predict!: HttpHandler;
  let health!: HttpHandler;

  beforeAll(() => {
    // Unset is Powertools' default level (INFO), as deployed by serverless.yml.
    changeSettings({ POWERTOOLS_LOG_LEVEL: undefined });
    // Asks Powertools to log every event, key header and body included: the chain must refuse.
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    jest.isolateModules(() => {
      predict = (require('../handlers/predict') as { handler: HttpHandler }).handler;
      health = (require('../handlers/health') as { handler: HttpHandler }).handler;
    });
  });

  afterAll(() => {
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
    delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
  });

  it('write one access line per request, with the key id and failing paths, never the key or the body', async () => {
    const customer = parityFixture().cases[0]!.input;
    const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY, 'X-Api-Key': API_KEY };
    const bodies = [
      JSON.stringify(customer),
      JSON.stringify({ ...customer, contract: MARKER, note: MARKER }),
      JSON.stringify({ instances: [customer, { ...customer, tenure: MARKER }] }),
      `{"tenure": "${MARKER}"`,
      JSON.stringify({ [MARKER]: MARKER }),
      JSON.stringify({ ...customer, padding: MARKER.repeat(Math.ceil(4_200_000 / MARKER.length)) }),
    ];
    const statuses: number[] = [];
    const output = await captureOutput(async () => {
      for (const body of bodies) statuses.push((await invoke(predict, { body, headers, apiKeyId: API_KEY_ID })).status);
      statuses.push((await invoke(predict, { body: MARKER, headers: { ...headers, 'content-type': 'text/plain' }, apiKeyId: API_KEY_ID })).status);
      statuses.push((await invoke(health, { method: 'GET', path: '/health', headers, apiKeyId: API_KEY_ID })).status);
    });
    expect(statuses).toEqual([200, 200, 400, 400, 400, 413, 415, 200]);

    const lines = accessLines(output);
    expect(lines.map((l) => l.status)).toEqual(statuses);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'INFO', api_key_id: API_KEY_ID, request_id: expect.any(String), duration_ms: expect.any(Number) });
    }
    expect(lines.map((l) => l.route_family)).toEqual([...Array(7).fill('predict'), 'health']);
    // The container's first request is the cold start, outside Lambda too (AWS_LAMBDA_INITIALIZATION_TYPE unset here, as under serverless-offline).
    expect(process.env.AWS_LAMBDA_INITIALIZATION_TYPE).toBeUndefined();
    expect(lines.map((l) => l.cold_start)).toEqual([true, ...Array(7).fill(false)]);
    // The first two scored one record each with the default model.
    expect(lines[0]).toMatchObject({ route: '/predict', method: 'POST', model: 'churn', records: 1, inference_ms: expect.any(Number) });
    expect(lines[1]).toMatchObject({ warnings: 2 }); // an unknown contract value, an unknown field
    // Rejections: their code and the failing field's path, not the value.
    expect(lines[2]).toMatchObject({ code: 'validation_failed', error_paths: ['/instances/1/tenure'], model: 'churn' });
    expect(lines[2]).not.toHaveProperty('records');
    expect(lines[3]).toMatchObject({ code: 'invalid_json' });
    expect(lines[4]).toMatchObject({ code: 'validation_failed' });
    expect(lines[5]).toMatchObject({ code: 'payload_too_large' });
    expect(lines[6]).toMatchObject({ code: 'unsupported_media_type' });
    // Nothing else at INFO: no WARN about reserved keys, no second line per rejection.
    expect(output.json.filter((l) => !('_aws' in l) && l.message !== 'request')).toEqual([]);

    expect(output.text).not.toContain(API_KEY);
    expect(output.text).not.toContain(MARKER);
    expect(output.text).not.toContain(JSON.stringify(customer).slice(1, 40));
    expect(output.text).not.toMatch(/\n\s+at /); // no stack traces
  });
});
