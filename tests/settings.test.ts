import { LogLevel } from '@aws-lambda-powertools/logger';
import path from 'node:path';
import { NAME_PATTERN } from '../lib/manifest/base';
import { LOG_LEVELS, readSettings, resetSettings, SETTING_DEFINITIONS, settings, SettingsError, type SettingValues } from '../lib/settings';
import { readme, readmeTableRows } from './helpers/readme';
import { changeSettings, withSettings } from './helpers/settings';

/**
 * lib/settings.ts: one table, parsed once at import, a malformed value
 * refused with its name, value and what it accepts.
 */

const refusal = (env: Record<string, string>): string => {
  try {
    readSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('settings', () => {
  it('take their defaults when unset, and when empty', () => {
    const defaults: SettingValues = {
      modelsDir: path.resolve(__dirname, '..', 'models'),
      modelStore: undefined,
      modelStoreRelistSeconds: 60,
      modelStoreCacheMb: 448,
      modelStorePins: undefined,
      defaultModel: undefined,
      maxBatch: 1000,
      maxBodyBytes: 4_194_304,
      maxSessions: 8,
      shadowBudgetMs: 100,
      serviceVersion: '0.1.0',
      serviceName: 'ml-inference',
      logLevel: undefined,
      logSampleRate: undefined,
      xrayTracing: false,
      watchModels: false,
      captureSample: 0,
      captureDir: undefined,
      monitoringBucket: undefined,
      monitorWindowHours: 24,
      batchPrefixes: undefined,
      batchStateMachineArn: undefined,
      batchBucket: undefined,
      batchRecordLimits: undefined,
      batchRangeBytes: 4 * 1024 * 1024,
      xrayDaemonAddress: undefined,
      lambdaHandler: 'handler',
      initializationType: undefined,
      executionEnv: undefined,
    };
    expect(readSettings({})).toEqual(defaults);
    expect(readSettings(Object.fromEntries(SETTING_DEFINITIONS.map((d) => [d.name, ''])))).toEqual(defaults);
  });

  it.each([
    ['MAX_BATCH', '1', 'maxBatch', 1],
    ['CAPTURE_SAMPLE', '100', 'captureSample', 100],
    ['CAPTURE_SAMPLE', '0.5', 'captureSample', 0.5],
    ['MONITORING_BUCKET', 'my-bucket.eu', 'monitoringBucket', 'my-bucket.eu'],
    ['MAX_BATCH', '100000', 'maxBatch', 100_000],
    ['MAX_BATCH', '0010', 'maxBatch', 10],
    ['MAX_BODY_BYTES', '4620288', 'maxBodyBytes', 4_620_288],
    ['MAX_SESSIONS', '1', 'maxSessions', 1],
    ['SHADOW_BUDGET_MS', '29000', 'shadowBudgetMs', 29_000],
    ['XRAY_TRACING', 'true', 'xrayTracing', true],
    ['XRAY_TRACING', 'false', 'xrayTracing', false],
    ['POWERTOOLS_LOG_LEVEL', 'debug', 'logLevel', 'DEBUG'],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '0.25', 'logSampleRate', 0.25],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '.5', 'logSampleRate', 0.5],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '1', 'logSampleRate', 1],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '0', 'logSampleRate', 0],
    ['DEFAULT_MODEL', 'intent', 'defaultModel', 'intent'],
    ['MODELS_DIR', 'some/relative', 'modelsDir', path.resolve('some/relative')],
    ['MODELS_DIR', '/abs/models', 'modelsDir', '/abs/models'],
    ['SERVICE_VERSION', '2.0.0-rc.1+build 7', 'serviceVersion', '2.0.0-rc.1+build 7'],
    ['AWS_XRAY_DAEMON_ADDRESS', '169.254.79.129:2000', 'xrayDaemonAddress', '169.254.79.129:2000'],
    ['MODEL_STORE', 's3://models-bucket/prod', 'modelStore', 's3://models-bucket/prod'],
    ['MODEL_STORE', 's3://models-bucket', 'modelStore', 's3://models-bucket'],
    ['MODEL_STORE_RELIST_SECONDS', '0', 'modelStoreRelistSeconds', 0],
    ['MODEL_STORE_CACHE_MB', '10240', 'modelStoreCacheMb', 10240],
    ['MODEL_STORE_PINS', `churn@1.0.0=${'a'.repeat(64)}, intent@2.0.0-rc.1=${'b'.repeat(64)}`, 'modelStorePins', new Map([['churn@1.0.0', 'a'.repeat(64)], ['intent@2.0.0-rc.1', 'b'.repeat(64)]])],
  ] as const)('%s=%j is read as %j', (name, text, key, value) => {
    expect(readSettings({ [name]: text })[key]).toEqual(value);
  });

  it.each([
    ['MAX_BATCH', 'abc', 'an integer from 1 to 100000'],
    ['MAX_BATCH', '0', 'an integer from 1 to 100000'],
    ['MAX_BATCH', '100001', 'an integer from 1 to 100000'],
    ['MAX_BATCH', '1.5', 'an integer from 1 to 100000'],
    ['MAX_BATCH', '1e3', 'an integer from 1 to 100000'],
    ['MAX_BATCH', ' 5', 'an integer from 1 to 100000'],
    ['MAX_BATCH', '-1', 'an integer from 1 to 100000'],
    ['MAX_BODY_BYTES', '-1', 'an integer from 1 to 4620288'],
    // One byte more and a base64 body of that size, with the event's other fields, could pass Lambda's 6 MB.
    ['MAX_BODY_BYTES', '4620289', 'an integer from 1 to 4620288'],
    ['MAX_SESSIONS', '0', 'an integer from 1 to 1000'],
    ['SHADOW_BUDGET_MS', '30000', 'an integer from 1 to 29000'],
    ['XRAY_TRACING', 'yes', 'true or false'],
    ['XRAY_TRACING', 'TRUE', 'true or false'],
    ['XRAY_TRACING', '1', 'true or false'],
    ['POWERTOOLS_LOG_LEVEL', 'verbose', 'one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT (any case)'],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '1.5', 'a number from 0 to 1'],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', 'abc', 'a number from 0 to 1'],
    ['CAPTURE_SAMPLE', '101', 'a number from 0 to 100'],
    ['CAPTURE_SAMPLE', '5%', 'a number from 0 to 100'],
    ['MONITORING_BUCKET', 's3://bucket', 'an S3 bucket name'],
    ['MODEL_STORE', 'models-bucket/prod', 'an s3://bucket/prefix URL'],
    ['MODEL_STORE', 's3://Bucket/prod', 'an s3://bucket/prefix URL'],
    ['MODEL_STORE', 's3://bucket/a b', 'an s3://bucket/prefix URL'],
    ['MODEL_STORE_CACHE_MB', '8', 'an integer from 16 to 10240'],
    ['MODEL_STORE_PINS', 'churn@1.0.0', 'name@version=sha256 pairs, comma-separated (the sha256 of its model.json, lower-case hex)'],
    ['MONITOR_WINDOW_HOURS', '0', 'an integer from 1 to 2160'],
    ['POWERTOOLS_LOGGER_SAMPLE_RATE', '-0.1', 'a number from 0 to 1'],
    ['DEFAULT_MODEL', 'Churn', 'a model name: 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit'],
    ['DEFAULT_MODEL', '../etc', 'a model name: 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit'],
    ['SERVICE_VERSION', ' 1.0', '1 to 64 printable ASCII characters, no space at either end'],
    ['POWERTOOLS_SERVICE_NAME', 'tab\tname', '1 to 64 printable ASCII characters, no space at either end'],
  ])('%s=%j is refused, naming the variable, its value and what it accepts', (name, text, accepts) => {
    expect(refusal({ [name]: text })).toBe(`${name} is ${JSON.stringify(text)}: expected ${accepts}`);
  });

  it.each([`churn@1.0.0=${'A'.repeat(64)}`, `churn@1.0.0=${'a'.repeat(64)},churn@1.0.0=${'b'.repeat(64)}`, `churn@1.0.0=${'a'.repeat(63)}`])('MODEL_STORE_PINS=%j (upper-case hex, a version pinned twice, a short sha256) is refused', (text) => {
    expect(refusal({ MODEL_STORE_PINS: text })).toMatch(/^MODEL_STORE_PINS is ".*": expected name@version=sha256 pairs, comma-separated \(the sha256 of its model.json, lower-case hex\)$/);
  });

  it('shorten a long value in the message, and never put a raw line break in it', () => {
    expect(refusal({ MAX_BATCH: 'x'.repeat(5000) })).toBe(`MAX_BATCH is "${'x'.repeat(64)}…": expected an integer from 1 to 100000`);
    expect(refusal({ MAX_BATCH: '5\nFAKE LOG LINE' })).toBe('MAX_BATCH is "5\\nFAKE LOG LINE": expected an integer from 1 to 100000');
  });

  it('name every malformed value at once, and carry no stack frames (Lambda logs an init error with its stack)', () => {
    let error: SettingsError | undefined;
    try {
      readSettings({ MAX_BATCH: 'abc', XRAY_TRACING: 'yes', MAX_SESSIONS: '4' });
    } catch (thrown) {
      error = thrown as SettingsError;
    }
    expect(error?.problems).toEqual(['MAX_BATCH is "abc": expected an integer from 1 to 100000', 'XRAY_TRACING is "yes": expected true or false']);
    expect(error?.message).toBe(error?.problems.join('; '));
    expect(error?.stack).toBe(`SettingsError: ${error?.message}`);
  });

  it("refuse DEFAULT_MODEL exactly where a manifest's name is refused", () => {
    const names = ['churn', 'a', '0-model_x', 'x'.repeat(64), 'x'.repeat(65), 'Churn', '-churn', '_a', 'a.b', 'a b', 'ünï', '../x'];
    for (const name of names) {
      let accepted = true;
      try {
        readSettings({ DEFAULT_MODEL: name });
      } catch {
        accepted = false;
      }
      expect({ name, accepted }).toEqual({ name, accepted: new RegExp(NAME_PATTERN).test(name) });
    }
  });

  it("accept Powertools' own log levels, no more and no fewer", () => {
    expect([...LOG_LEVELS].sort()).toEqual(Object.keys(LogLevel).sort());
  });

  it('are one table: unique names, each with what it accepts, its default and what it does', () => {
    const names = SETTING_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const d of SETTING_DEFINITIONS) {
      expect({ name: d.name, accepts: d.accepts.length > 0, defaultText: d.defaultText.length > 0, description: d.description.length > 0 }).toEqual({
        name: d.name,
        accepts: true,
        defaultText: true,
        description: true,
      });
    }
  });
});

describe('settings are read once, at import', () => {
  it('a malformed value makes the module throw when it loads: a function that imports it fails its init, naming the variable', () => {
    // Set before a fresh import, as Lambda sets a container's environment before its init: that is what is under test.
    const previous = process.env.MAX_BODY_BYTES;
    process.env.MAX_BODY_BYTES = '-1';
    try {
      const message = 'MAX_BODY_BYTES is "-1": expected an integer from 1 to 4620288';
      expect(() => jest.isolateModules(() => require('../lib/settings'))).toThrow(message);
      expect(() => jest.isolateModules(() => require('../handlers/predict'))).toThrow(message);
      expect(() => jest.isolateModules(() => require('../handlers/models'))).toThrow(message);
    } finally {
      if (previous === undefined) delete process.env.MAX_BODY_BYTES;
      else process.env.MAX_BODY_BYTES = previous;
    }
  });

  it('a variable changed behind its back is not seen; resetSettings() reads it', () => {
    const before = settings.maxBatch();
    // Changed without the reset, on purpose: this is what must not take effect.
    process.env.MAX_BATCH = String(before + 7);
    try {
      expect(settings.maxBatch()).toBe(before);
      resetSettings();
      expect(settings.maxBatch()).toBe(before + 7);
    } finally {
      delete process.env.MAX_BATCH;
      resetSettings();
    }
    expect(settings.maxBatch()).toBe(before);
  });

  it('resetSettings() with a malformed value throws and keeps the settings it had', () => {
    withSettings({ MAX_BATCH: '5' }, () => {
      process.env.MAX_BATCH = 'abc';
      expect(() => resetSettings()).toThrow('MAX_BATCH is "abc": expected an integer from 1 to 100000');
      expect(settings.maxBatch()).toBe(5);
    });
    expect(process.env.MAX_BATCH).toBeUndefined();
    expect(settings.maxBatch()).toBe(1000);
  });
});

describe('tests/helpers/settings.ts', () => {
  it('withSettings() sets and reads the settings, and puts them back after, also when the work throws or rejects', async () => {
    const dir = path.resolve('/tmp/some-models');
    expect(withSettings({ MODELS_DIR: dir, MAX_BATCH: '3' }, () => [settings.modelsDir(), settings.maxBatch()])).toEqual([dir, 3]);
    expect([settings.modelsDir(), settings.maxBatch(), process.env.MAX_BATCH]).toEqual([path.resolve(__dirname, '..', 'models'), 1000, undefined]);
    expect(() =>
      withSettings({ MAX_BATCH: '3' }, () => {
        throw new Error('work failed');
      }),
    ).toThrow('work failed');
    await expect(withSettings({ MAX_BATCH: '3' }, async () => Promise.reject(new Error('async work failed')))).rejects.toThrow('async work failed');
    expect([settings.maxBatch(), process.env.MAX_BATCH]).toEqual([1000, undefined]);
  });

  it('changeSettings() refuses a malformed value, leaving the environment and the settings as they were', () => {
    expect(() => changeSettings({ MAX_BATCH: '3', XRAY_TRACING: 'yes' })).toThrow('XRAY_TRACING is "yes": expected true or false');
    expect([process.env.MAX_BATCH, process.env.XRAY_TRACING, settings.maxBatch()]).toEqual([undefined, undefined, 1000]);
  });
});

describe("the README's settings tables", () => {
  const cells = (setBy: 'you' | 'lambda') => SETTING_DEFINITIONS.filter((d) => d.setBy === setBy);

  it('list every setting of SETTING_DEFINITIONS with its default, what it accepts and what it does, and nothing else', () => {
    expect(readmeTableRows('settings-table')).toEqual(cells('you').map((d) => [`\`${d.name}\``, d.defaultText, d.accepts, d.description]));
  });

  it('list every variable Lambda sets that the service reads, and nothing else', () => {
    expect(readmeTableRows('lambda-settings-table')).toEqual(cells('lambda').map((d) => [`\`${d.name}\``, d.defaultText, d.description]));
  });

  it('show the refusal the service gives', () => {
    expect(readme).toContain(`\nSettingsError: ${refusal({ MAX_BATCH: 'abc' })}\n`);
  });
});
