import { handler as predictHandler } from '../handlers/predict';
import { invoke, type HttpHandler } from './helpers/lambda';
import { listModels } from '../lib/repository/model-repository';
import { modelsDir, parityFixture, served } from './helpers/models';
import { route } from './helpers/routes';

const predict = predictHandler as unknown as HttpHandler;
const churn = parityFixture('churn');
const customer = churn.cases[3]!;

describe('POST /models/{name}/predict and /models/{name}/versions/{version}/predict', () => {
  it('scores with the named model, newest version', async () => {
    const newest = served('churn');
    const golden = newest.golden[0]!;
    const reply = await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'churn' }), json: golden.request });
    expect(reply.status).toBe(200);
    expect(Math.abs((reply.json.churn_probability as number) - (golden.answer as { churn_probability: number }).churn_probability)).toBeLessThan(1e-5);
    expect(reply.json.model).toEqual({ name: 'churn', version: newest.version });
  });

  it('scores with the named version', async () => {
    const reply = await invoke(predict, {
      ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: churn.version }),
      json: { instances: [customer.input] },
    });
    expect(reply.status).toBe(200);
    expect(Math.abs((reply.json.predictions as { churn_probability: number }[])[0]!.churn_probability - customer.churn_probability)).toBeLessThan(1e-5);
    expect(reply.json.model).toEqual({ name: 'churn', version: churn.version });
  });

  it('answers an unknown model or version with 404 model_not_found', async () => {
    const unknownModel = await invoke(predict, { ...route('POST', '/models/{name}/predict', { name: 'fraud' }), json: customer.input });
    expect(unknownModel.status).toBe(404);
    expect(unknownModel.json).toMatchObject({
      code: 'model_not_found',
      error: `no model named "fraud"; deployed models: ${listModels(modelsDir).map((m) => m.name).join(', ')}`,
    });

    const unknownVersion = await invoke(predict, {
      ...route('POST', '/models/{name}/versions/{version}/predict', { name: 'churn', version: '0.0.1' }),
      json: customer.input,
    });
    expect(unknownVersion.status).toBe(404);
    const versions = listModels(modelsDir).find((m) => m.name === 'churn')!.versions.map((v) => v.version);
    expect(unknownVersion.json).toMatchObject({ code: 'model_not_found', error: `model "churn" has no version "0.0.1"; versions: ${versions.join(', ')}` });
  });
});
