import { invoke, type HttpHandler } from './helpers/lambda';
import { parityFixture } from './helpers/models';

const API_KEY = 'k3y-Va1ue-that-must-never-be-logged-7f3a9c';
const MARKER = 'zz-body-marker-zz';

describe('logs at the default level', () => {
  const written: string[] = [];
  let predict!: HttpHandler;
  let health!: HttpHandler;
  const spies: jest.SpyInstance[] = [];

  beforeAll(() => {
    // Unset is Powertools' default level (INFO), as deployed by serverless.yml.
    delete process.env.POWERTOOLS_LOG_LEVEL;
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    spies.push(jest.spyOn(process.stdout, 'write').mockImplementation(capture));
    spies.push(jest.spyOn(process.stderr, 'write').mockImplementation(capture));
    jest.isolateModules(() => {
      predict = (require('../handlers/predict') as { handler: HttpHandler }).handler;
      health = (require('../handlers/health') as { handler: HttpHandler }).handler;
    });
  });

  afterAll(() => {
    for (const spy of spies) spy.mockRestore();
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  });

  it('carry no API key and no request body, over good and bad requests', async () => {
    const customer = parityFixture().cases[0]!.input;
    const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY, 'X-Api-Key': API_KEY };
    const bodies = [
      JSON.stringify(customer),
      JSON.stringify({ ...customer, contract: MARKER, note: MARKER }),
      JSON.stringify({ instances: [{ ...customer, tenure: MARKER }] }),
      `{"tenure": "${MARKER}"`,
      JSON.stringify({ [MARKER]: MARKER }),
      JSON.stringify({ ...customer, padding: MARKER.repeat(80_000) }),
    ];
    const statuses = [];
    for (const body of bodies) statuses.push((await invoke(predict, { body, headers })).status);
    statuses.push((await invoke(predict, { body: MARKER, headers: { ...headers, 'content-type': 'text/plain' } })).status);
    statuses.push((await invoke(health, { method: 'GET', path: '/health', headers })).status);
    expect(statuses).toEqual([200, 200, 400, 400, 400, 413, 415, 200]);

    const logs = written.join('');
    // The capture works: rejected requests are logged (status, code and our own reason only).
    expect(logs).toContain('"message":"request rejected"');
    expect(logs).toContain('"code":"validation_failed"');
    expect(logs).toContain('"reason":"request body is not valid JSON"');
    expect(logs).toContain('"reason":"Content-Type must be application/json"');
    expect(logs).not.toContain(API_KEY);
    expect(logs).not.toContain(MARKER);
    expect(logs).not.toContain(JSON.stringify(customer).slice(1, 40));
    expect(logs).not.toMatch(/\n\s+at /); // no stack traces
  });
});
