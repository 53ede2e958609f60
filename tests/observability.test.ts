import Ajv from 'ajv';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIMENSIONS, METRIC_CATALOG, type MetricEntry } from '../lib/observability/metrics';
import emfSchema from './spec/emf.schema.json';
import { freshHandlers, type Handlers } from './helpers/handlers';
import { invoke } from './helpers/lambda';
import { accessLines, captureOutput, emfLines, type Captured } from './helpers/log-lines';
import { parityFixture } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { route } from './helpers/routes';
import { changeSettings } from './helpers/settings';

/**
 * Every request's EMF line and access line (README, "Observability"), from
 * the real handlers over the real models, checked against the Embedded Metric
 * Format specification and against the answers the same requests got.
 */

const validateEmf = new Ajv({ allErrors: true }).compile(emfSchema);
const customers = parityFixture().cases.slice(0, 40).map((c) => c.input);
const texts = ['hi there', 'I want to cancel my subscription', 'where is my refund', 'what a lovely day', 'cancel it now', 'hello'];

/** A fresh container, reading the settings as they are now (changeSettings). */
function loadHandlers(): Handlers {
  return freshHandlers();
}

function catalogEntry(metric: string): MetricEntry | undefined {
  return METRIC_CATALOG.find((m) => m.name === metric || (m.name.endsWith('.<label>') && metric.startsWith(m.name.slice(0, -'<label>'.length))));
}

/** The request-set EMF line of each request, in order. */
const requestMetrics = (c: Captured) => emfLines(c).filter((l) => 'Requests' in l);

describe('metrics and access lines', () => {
  let output: Captured;
  const answers: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    // What Lambda sets for an on-demand container; Powertools' cold start needs it.
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'ml-inference/test';
    const h = loadHandlers();
    output = await captureOutput(async () => {
      answers.churnBatch = (await invoke(h.predict, { json: { instances: customers } })).json;
      answers.intentBatch = (await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { instances: texts.map((text) => ({ text })) } })).json;
      answers.rejected = (await invoke(h.predict, { json: { instances: [customers[0], { ...customers[1], tenure: -3 }] } })).json;
      answers.unknownModel = (await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'no-such-model' }), json: customers[0] })).json;
      const churnTensor = (await invoke(h.predict, { ...route('POST', '/models/{name}/predict', { name: 'intent' }), json: { text: 'refund please' } })).json;
      answers.intentSingle = churnTensor;
      answers.v2 = (
        await invoke(h.v2Infer, {
          ...route('POST', '/v2/models/{name}/infer', { name: 'intent' }),
          json: { inputs: [{ name: 'text', datatype: 'BYTES', shape: [texts.length], data: texts }] },
        })
      ).json;
      answers.health = (await invoke(h.health, { method: 'GET', path: '/health' })).json;
      answers.models = (await invoke(h.models, { method: 'GET', path: '/models' })).json;
      answers.ready = (await invoke(h.v2Metadata, route('GET', '/v2/models/{name}/ready', { name: 'churn' }))).json;
    });
  });

  afterAll(() => {
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_LAMBDA_INITIALIZATION_TYPE: undefined });
  });

  it('write EMF lines that follow the specification, with their target members', () => {
    const lines = emfLines(output);
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      expect({ line, errors: validateEmf(line) ? null : validateEmf.errors }).toEqual({ line, errors: null });
      for (const directive of (line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics) {
        for (const name of directive.Dimensions.flat()) {
          const value = line[name];
          expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^[\x20-\x7e]{1,1024}$/) });
        }
        for (const { Name } of directive.Metrics) {
          const value = line[Name];
          const values = Array.isArray(value) ? value : [value];
          expect(values.length).toBeLessThanOrEqual(100);
          for (const v of values) expect({ Name, finite: Number.isFinite(v) }).toEqual({ Name, finite: true });
        }
      }
    }
  });

  it('name only catalogued metrics, with their unit and their dimension set', () => {
    for (const line of emfLines(output)) {
      const [directive] = (line._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics;
      expect(directive!.Namespace).toBe('ml-inference/test');
      expect(directive!.Dimensions).toHaveLength(1);
      const dimensions = directive!.Dimensions[0]!;
      for (const { Name, Unit } of directive!.Metrics) {
        const entry = catalogEntry(Name);
        expect({ Name, catalogued: entry !== undefined }).toEqual({ Name, catalogued: true });
        expect({ Name, Unit }).toEqual({ Name, Unit: entry!.unit });
        const expected = DIMENSIONS[entry!.dimensions];
        // A request that named no model the repository holds has no model and version.
        const named = entry!.dimensions === 'request' && !dimensions.includes('model') ? expected.filter((d) => d !== 'model' && d !== 'version') : expected;
        expect({ Name, dimensions }).toEqual({ Name, dimensions: named });
      }
      expect(line.service).toBe('ml-inference');
    }
  });

  it('write one access line and one request metric line per request, in order', () => {
    const access = accessLines(output);
    const metrics = requestMetrics(output);
    expect(access.map((l) => l.route_family)).toEqual(['predict', 'predict', 'predict', 'predict', 'predict', 'v2-infer', 'health', 'models', 'v2-metadata']);
    expect(metrics.map((l) => l.route_family)).toEqual(access.map((l) => l.route_family));
    expect(access.map((l) => l.status)).toEqual([200, 200, 400, 404, 200, 200, 200, 200, 200]);
    // Names from the repository only: the unknown model's name is in neither line.
    expect(access[3]).not.toHaveProperty('model');
    expect(metrics[3]).not.toHaveProperty('model');
    expect(output.text).not.toContain('no-such-model');
    expect(access.map((l) => l.model)).toEqual(['churn', 'intent', 'churn', undefined, 'intent', 'intent', 'churn', undefined, 'churn']);
    expect(metrics.map((l) => l.model)).toEqual(access.map((l) => l.model));
    for (const [i, line] of metrics.entries()) {
      expect(line.Requests).toBe(1);
      expect(line.Latency).toBeCloseTo(access[i]!.duration_ms as number, 2);
      expect(line.ClientErrors).toBe(access[i]!.status === 400 || access[i]!.status === 404 ? 1 : 0);
      expect(line.ServerErrors).toBe(0);
    }
  });

  it('count records and read the drift signals from the answers the clients got', () => {
    const [churn, intent, , , intentSingle, v2] = requestMetrics(output);
    const predictions = answers.churnBatch!.predictions as { churn_probability: number; churn: boolean }[];
    expect(churn!.RecordsScored).toBe(customers.length);
    expect(churn!.InferenceLatency).toBeGreaterThan(0);
    const mean = predictions.reduce((a, p) => a + p.churn_probability, 0) / predictions.length;
    expect(churn!.MeanProbability).toBeCloseTo(mean, 6);
    expect(churn!.PositiveRate).toBeCloseTo((100 * predictions.filter((p) => p.churn).length) / predictions.length, 9);

    const intents = (answers.intentBatch!.predictions as { intent: string }[]).map((p) => p.intent);
    const counted = Object.fromEntries(Object.entries(intent!).filter(([k]) => k.startsWith('Predicted.')));
    const expected: Record<string, number> = {};
    for (const label of intents) expected[`Predicted.${label}`] = (expected[`Predicted.${label}`] ?? 0) + 1;
    expect(counted).toEqual(expected);
    expect(intent!.RecordsScored).toBe(texts.length);
    expect(intentSingle!.RecordsScored).toBe(1);
    expect(intentSingle![`Predicted.${answers.intentSingle!.intent}`]).toBe(1);

    // The Open Inference Protocol route: the same texts, the same counts.
    expect(v2!.RecordsScored).toBe(texts.length);
    expect(Object.fromEntries(Object.entries(v2!).filter(([k]) => k.startsWith('Predicted.')))).toEqual(expected);
  });

  it('count errors by code, and a rejected request scores nothing', () => {
    const errors = emfLines(output).filter((l) => 'Errors' in l);
    expect(errors.map((l) => [l.route_family, l.code, l.Errors])).toEqual([
      ['predict', 'validation_failed', 1],
      ['predict', 'model_not_found', 1],
    ]);
    const rejected = requestMetrics(output)[2]!;
    expect(rejected).not.toHaveProperty('RecordsScored');
    expect(rejected).not.toHaveProperty('MeanProbability');
    expect(accessLines(output)[2]).toMatchObject({ code: 'validation_failed', error_paths: ['/instances/1/tenure'] });
  });

  it('count a cold start once, on the first request', () => {
    const cold = emfLines(output).filter((l) => 'ColdStart' in l);
    expect(cold).toHaveLength(1);
    expect(cold[0]).toMatchObject({ ColdStart: 1, function_name: 'predict' });
    expect(output.json.indexOf(cold[0]!)).toBeLessThan(output.json.indexOf(accessLines(output)[0]!));
  });
});

describe('a model that cannot load', () => {
  it('is counted as ModelNotReady, apart from the model dimension', async () => {
    const dir = scratchModelsDir(['churn/1.0.0']);
    writeFileSync(path.join(dir, 'churn', '1.0.0', 'model.onnx'), 'not an onnx file');
    useModelsDir(dir);
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO' });
    try {
      const h = loadHandlers();
      const output = await captureOutput(async () => {
        expect((await invoke(h.predict, { json: customers[0] })).status).toBe(503);
      });
      const notReady = emfLines(output).filter((l) => 'ModelNotReady' in l);
      expect(notReady).toHaveLength(1);
      expect((notReady[0]!._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]!.Dimensions).toEqual([['service']]);
      expect(requestMetrics(output)[0]).toMatchObject({ model: 'churn', version: '1.0.0', ServerErrors: 1 });
      expect(accessLines(output)[0]).toMatchObject({ status: 503, code: 'model_unavailable', model: 'churn' });
    } finally {
      changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT' });
      removeModelsDir(dir);
    }
  });
});

describe('POWERTOOLS_LOGGER_SAMPLE_RATE', () => {
  it.each([
    ['unset', undefined, 0],
    ['1', '1', 1],
  ])('%s: the DEBUG line with the batch signals appears for that share of requests', async (_, rate, expected) => {
    changeSettings({ POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_LOGGER_SAMPLE_RATE: rate });
    try {
      const h = loadHandlers();
      const output = await captureOutput(async () => {
        await invoke(h.predict, { json: { instances: customers.slice(0, 3) } });
      });
      const debug = output.json.filter((l) => l.message === 'request signals');
      expect(debug).toHaveLength(expected);
      if (expected) expect(debug[0]).toMatchObject({ level: 'DEBUG', signals: expect.arrayContaining([expect.objectContaining({ metric: 'MeanProbability' })]) });
    } finally {
      changeSettings({ POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_LOGGER_SAMPLE_RATE: undefined });
    }
  });
});
