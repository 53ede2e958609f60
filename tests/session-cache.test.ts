import * as ort from 'onnxruntime-node';
import type { HttpHandler } from './helpers/lambda';
import { invoke } from './helpers/lambda';
import { parityFixture } from './helpers/models';

describe('the inference session cache', () => {
  it('creates exactly one session per container, however many calls follow', async () => {
    // A spy that calls through: the real onnxruntime still builds the session.
    const create = jest.spyOn(ort.InferenceSession, 'create');
    // Required only now (each jest file has its own module registry), so the
    // spy sees the module-scope load that Lambda's init phase would run.
    const predict = (require('../handlers/predict') as { handler: HttpHandler }).handler;
    const health = (require('../handlers/health') as { handler: HttpHandler }).handler;
    // Loading starts when the module is imported (Lambda's init phase), before any call.
    expect(create).toHaveBeenCalledTimes(1);

    const customers = parityFixture().cases.slice(0, 50);
    for (const customer of customers) {
      expect((await invoke(predict, { json: customer.input })).status).toBe(200);
    }
    expect((await invoke(predict, { json: { instances: customers.map((c) => c.input) } })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await invoke(health, { method: 'GET', path: '/health' })).status).toBe(200);

    expect(create).toHaveBeenCalledTimes(1);
    create.mockRestore();
  });
});
