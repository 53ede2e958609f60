import path from 'node:path';
import { shorten } from './shorten';

/**
 * Every setting the service reads from its environment, in one table
 * (SETTING_DEFINITIONS): name, default, what it accepts, what it does and its
 * parser. They are parsed from process.env once, when this module loads —
 * during a Lambda function's init — and a malformed or out-of-range value
 * throws there, naming the variable, its value and what it accepts
 * (`MAX_BATCH is "abc": expected an integer from 1 to 100000`): the function
 * fails to start rather than serve a default nobody chose. An unset or empty
 * variable takes the default.
 *
 * `settings.x()` returns the parsed value. `resetSettings()` is the one way
 * to read process.env again: tests and tools that change a setting set the
 * variable and call it (tests/helpers/settings.ts wraps both).
 *
 * The README's settings table is checked against SETTING_DEFINITIONS
 * (tests/settings.test.ts), and `npm start` loads this module to check the
 * shell's settings before starting anything (scripts/local-gateway/main.ts).
 * No validation reads the file system: a MODELS_DIR that does not exist yet
 * is a folder model:add may create.
 */

export interface SettingDefinition<T, N extends string = string> {
  readonly name: N;
  /**
   * `you`: a setting of the service, documented in the README's table,
   * validated, and taken from the shell by the local stage (`npm start`).
   * `lambda`: set by the platform (Lambda, serverless-offline); read as given.
   */
  readonly setBy: 'you' | 'lambda';
  /** What it accepts, as the error message and the README say it: "an integer from 1 to 100000". */
  readonly accepts: string;
  /** The value, or undefined when the text is not accepted. Never sees an empty text. */
  readonly parse: (text: string) => T | undefined;
  /** The value when unset or empty. */
  readonly fallback: T;
  /** The default as the README shows it. */
  readonly defaultText: string;
  /** One line: what it does. */
  readonly description: string;
}

type Parser<T> = Pick<SettingDefinition<T>, 'accepts' | 'parse'>;

/** Digits only: "1e3", "+5", " 5" and "5.0" are refused, not read as numbers. */
function integer(min: number, max: number): Parser<number> {
  return {
    accepts: `an integer from ${min} to ${max}`,
    parse: (text) => {
      if (!/^[0-9]{1,16}$/.test(text)) return undefined;
      const value = Number(text);
      return value >= min && value <= max ? value : undefined;
    },
  };
}

function decimal(min: number, max: number): Parser<number> {
  return {
    accepts: `a number from ${min} to ${max}`,
    parse: (text) => {
      if (!/^([0-9]{1,16}(\.[0-9]{1,16})?|\.[0-9]{1,16})$/.test(text)) return undefined;
      const value = Number(text);
      return value >= min && value <= max ? value : undefined;
    },
  };
}

function oneOf<T extends string>(values: readonly T[], { anyCase = false } = {}): Parser<T> {
  return {
    accepts: `one of ${values.join(', ')}${anyCase ? ' (any case)' : ''}`,
    parse: (text) => values.find((v) => v === (anyCase ? text.toUpperCase() : text)),
  };
}

function matching(pattern: RegExp, accepts: string): Parser<string> {
  return { accepts, parse: (text) => (pattern.test(text) ? text : undefined) };
}

/** A platform variable: any text, as the platform gives it. */
const anyText: Parser<string> = { accepts: 'any text', parse: (text) => text };

/** Printable ASCII, no space at either end: a name or version shown in answers and used as a metric dimension. */
const label = matching(/^[!-~]([ -~]{0,62}[!-~])?$/, '1 to 64 printable ASCII characters, no space at either end');

/**
 * Powertools' log levels (its LogLevel; tests/settings.test.ts compares).
 * Powertools itself falls back to INFO, silently, for any other value.
 */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/**
 * The largest body whose Lambda event still fits Lambda's 6 MB synchronous
 * payload (README, "Limits"): API Gateway sends every body base64-encoded
 * (serverless.yml's binaryMediaTypes), 4/3 of its bytes, and the event's
 * other fields (headers and query twice, as single and multi values,
 * JSON-escaped; the path; requestContext) stay under 128 KiB, as API
 * Gateway bounds headers to 10 KB and the URL to 8 KB. (6 MiB − 128 KiB) ×
 * 3/4 = 4,620,288 bytes; a larger limit would let Lambda refuse the event
 * (a 502 from the platform) before our 413 could be answered.
 */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
export const EVENT_ENVELOPE_BYTES = 128 * 1024;
export const MAX_BODY_LIMIT = Math.floor(((LAMBDA_PAYLOAD_BYTES - EVENT_ENVELOPE_BYTES) * 3) / 4);

/**
 * In the TypeScript sources this file sits in lib/; in a Lambda bundle the
 * code is inlined into handlers/<name>.js. Both are one level below the root
 * that holds models/. (LAMBDA_TASK_ROOT is not used: `serverless invoke
 * local` sets it to /var/task.)
 */
const BUNDLED_MODELS = path.resolve(__dirname, '..', 'models');

/** MODEL_STORE_PINS: `churn@1.0.0=<64 hex>,intent@1.0.0=<64 hex>`, by `name@version`. */
function parsePins(text: string): ReadonlyMap<string, string> | undefined {
  const pins = new Map<string, string>();
  for (const pin of text.split(',')) {
    const match = /^\s*([a-z0-9][a-z0-9_-]{0,63})@([A-Za-z0-9][A-Za-z0-9._-]{0,63})=([0-9a-f]{64})\s*$/.exec(pin);
    if (!match || pins.has(`${match[1]}@${match[2]}`)) return undefined;
    pins.set(`${match[1]}@${match[2]}`, match[3]!);
  }
  return pins;
}

/** Keeps each definition's value type and literal name (`define<number>()({...})`: TypeScript cannot infer one and be given the other). */
const define =
  <T>() =>
  <N extends string>(definition: SettingDefinition<T, N>): SettingDefinition<T, N> =>
    definition;

const flag: Parser<boolean> = { accepts: 'true or false', parse: (text) => (text === 'true' ? true : text === 'false' ? false : undefined) };

/** The table. Keys are the snapshot's fields; the order is the README's. */
const DEFINITIONS = {
  modelsDir: define<string>()({
    name: 'MODELS_DIR',
    setBy: 'you',
    // Resolved once, here: the repository asks on every request.
    accepts: 'a folder path, relative to the working folder or absolute',
    parse: (text) => path.resolve(text),
    fallback: BUNDLED_MODELS,
    defaultText: '`models/` of the package',
    description: 'where the model folders (`<name>/<version>/model.json`) are read from',
  }),
  modelStore: define<string | undefined>()({
    name: 'MODEL_STORE',
    setBy: 'you',
    ...matching(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9!_.*'()\/-]*)?$/, 'an s3://bucket/prefix URL'),
    fallback: undefined,
    defaultText: 'none: the models of `MODELS_DIR` (serverless.yml: the `modelStore` param)',
    description: 'serve the models of an S3 model store (`npm run model:push` fills it) instead of `MODELS_DIR`; README, "Large models"',
  }),
  modelStoreRelistSeconds: define<number>()({
    name: 'MODEL_STORE_RELIST_SECONDS',
    setBy: 'you',
    ...integer(0, 86400),
    fallback: 60,
    defaultText: '60',
    description: 'how often at most a warm function lists the model store again, to see versions pushed since (0: at every request)',
  }),
  modelStoreCacheMb: define<number>()({
    name: 'MODEL_STORE_CACHE_MB',
    setBy: 'you',
    ...integer(16, 10240),
    fallback: 448,
    defaultText: '448 (serverless.yml: the `ephemeralStorageSize` param less 64)',
    description: "how many MB of downloaded model files a function keeps in /tmp; the least recently used version's files go first",
  }),
  modelStorePins: define<ReadonlyMap<string, string> | undefined>()({
    name: 'MODEL_STORE_PINS',
    setBy: 'you',
    accepts: 'name@version=sha256 pairs, comma-separated (the sha256 of its model.json, lower-case hex)',
    parse: parsePins,
    fallback: undefined,
    defaultText: 'none: every version in the store (serverless.yml: the `modelPins` param)',
    description: "serve only these versions from the model store, and only with this model.json (`npm run model:push` prints each version's pin)",
  }),
  defaultModel: define<string | undefined>()({
    name: 'DEFAULT_MODEL',
    setBy: 'you',
    // lib/manifest/base.ts's NAME_PATTERN (not imported: it would load onnxruntime-common into every function's init).
    ...matching(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a model name: 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit'),
    fallback: undefined,
    defaultText: 'none (serverless.yml: `churn`)',
    description: 'the model behind `POST /predict` and `GET /health`, loaded during init',
  }),
  maxBatch: define<number>()({
    name: 'MAX_BATCH',
    setBy: 'you',
    ...integer(1, 100_000),
    fallback: 1000,
    defaultText: '1000',
    description: 'most records (or rows of a tensor) one request may carry; more: 413',
  }),
  maxBodyBytes: define<number>()({
    name: 'MAX_BODY_BYTES',
    setBy: 'you',
    ...integer(1, MAX_BODY_LIMIT),
    fallback: 4_194_304,
    defaultText: '4194304 (4 MiB)',
    description: "largest request body in bytes, checked before it is read; more: 413. At most what still fits Lambda's 6 MB event once base64-encoded (README, \"Limits\")",
  }),
  maxSessions: define<number>()({
    name: 'MAX_SESSIONS',
    setBy: 'you',
    ...integer(1, 1000),
    fallback: 8,
    defaultText: '8',
    description: 'model versions kept loaded per container; the least recently used is released beyond',
  }),
  shadowBudgetMs: define<number>()({
    name: 'SHADOW_BUDGET_MS',
    setBy: 'you',
    // API Gateway's 29 s integration timeout: no request can wait longer.
    ...integer(1, 29_000),
    fallback: 100,
    defaultText: '100',
    description: 'longest a shadow version may take on a request before it is skipped ("Releasing a new version")',
  }),
  serviceVersion: define<string>()({
    name: 'SERVICE_VERSION',
    setBy: 'you',
    ...label,
    fallback: '0.1.0',
    defaultText: '0.1.0',
    description: 'the version `GET /v2` and `/openapi.json` report',
  }),
  serviceName: define<string>()({
    name: 'POWERTOOLS_SERVICE_NAME',
    setBy: 'you',
    ...label,
    fallback: 'ml-inference',
    defaultText: 'ml-inference',
    description: "the service's name in logs, metrics (`service`), traces, `GET /v2` and `/openapi.json`",
  }),
  logLevel: define<(typeof LOG_LEVELS)[number] | undefined>()({
    name: 'POWERTOOLS_LOG_LEVEL',
    setBy: 'you',
    ...oneOf(LOG_LEVELS, { anyCase: true }),
    fallback: undefined,
    defaultText: 'INFO',
    description: 'the log level; read by Powertools, validated here',
  }),
  logSampleRate: define<number | undefined>()({
    name: 'POWERTOOLS_LOGGER_SAMPLE_RATE',
    setBy: 'you',
    ...decimal(0, 1),
    fallback: undefined,
    defaultText: '0',
    description: "share of invocations logged at DEBUG, with the batch's signals; read by Powertools, validated here",
  }),
  xrayTracing: define<boolean>()({
    name: 'XRAY_TRACING',
    setBy: 'you',
    ...flag,
    fallback: false,
    defaultText: 'false (serverless.yml: the `tracing` param)',
    description: 'send X-Ray subsegments (in Lambda only, where a daemon listens)',
  }),
  watchModels: define<boolean>()({
    name: 'WATCH_MODELS',
    setBy: 'you',
    ...flag,
    fallback: false,
    defaultText: 'false (the `local` stage: true)',
    description: "re-read the models folder when a manifest, model file or traffic file in it changes, at each request (`npm start`); a deployed zip's files never change",
  }),
  captureSample: define<number>()({
    name: 'CAPTURE_SAMPLE',
    setBy: 'you',
    ...decimal(0, 100),
    fallback: 0,
    defaultText: '0 (serverless.yml: the `captureSample` param, 5; `local`: 0)',
    description: 'percent of predict and infer requests whose records are captured for monitoring (README, "Monitoring")',
  }),
  captureDir: define<string | undefined>()({
    name: 'CAPTURE_DIR',
    setBy: 'you',
    accepts: 'a folder path, relative to the working folder or absolute',
    parse: (text) => path.resolve(text),
    fallback: undefined,
    defaultText: 'none (`npm start`: `captures/`)',
    description: 'a local folder that captures and feedback are also written to, as the deployed pipeline lays them out in S3 (`npm start`; a deployed function writes none)',
  }),
  monitoringBucket: define<string | undefined>()({
    name: 'MONITORING_BUCKET',
    setBy: 'you',
    ...matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    fallback: undefined,
    defaultText: 'none (serverless.yml: the stack\'s monitoring bucket)',
    description: 'the S3 bucket the captures are delivered to and the monitor writes its reports to',
  }),
  monitorWindowHours: define<number>()({
    name: 'MONITOR_WINDOW_HOURS',
    setBy: 'you',
    ...integer(1, 24 * 90),
    fallback: 24,
    defaultText: '24',
    description: 'how many hours of captures and feedback the scheduled monitor reads at each run',
  }),
  batchPrefixes: define<string | undefined>()({
    name: 'BATCH_PREFIXES',
    setBy: 'you',
    // lib/batch-jobs/locations.ts parses it; the same rule as resources/batch.js's parsePrefixes.
    ...matching(/^\s*s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^*?,\s]+\/)?\s*(,\s*s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/([^*?,\s]+\/)?\s*)*$/, 'a comma-separated list of s3://<bucket>/ or s3://<bucket>/<prefix>/'),
    fallback: undefined,
    defaultText: "none (serverless.yml: the `batchPrefixes` param, else the stack's batch bucket under `jobs/`)",
    description: 'where batch jobs may read their input and write their output; any other S3 location is refused with 400 (README, "Batch scoring")',
  }),
  batchStateMachineArn: define<string | undefined>()({
    name: 'BATCH_STATE_MACHINE_ARN',
    setBy: 'you',
    ...matching(/^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, 'a Step Functions state machine ARN'),
    fallback: undefined,
    defaultText: "none: batch jobs answer 503 (serverless.yml: the stack's batch state machine)",
    description: 'the state machine `POST /models/{name}/batch-jobs` starts and `GET …/batch-jobs/{id}` describes',
  }),
  batchBucket: define<string | undefined>()({
    name: 'BATCH_BUCKET',
    setBy: 'you',
    ...matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
    fallback: undefined,
    defaultText: "none (serverless.yml: the stack's batch bucket)",
    description: "the bucket of the batch jobs' usage ledger (`usage/<caller>/<day>/<job>`), which the daily record limit reads",
  }),
  batchRecordLimits: define<string | undefined>()({
    name: 'BATCH_RECORD_LIMITS',
    setBy: 'you',
    ...matching(/^[A-Za-z0-9]{1,32}=[0-9]{1,12}(,[A-Za-z0-9]{1,32}=[0-9]{1,12})*$/, 'a comma-separated list of <usage plan id>=<records>'),
    fallback: undefined,
    defaultText: 'none: no key may start a job (serverless.yml: each plan\'s `<plan>BatchRecordsPerDay` param)',
    description: "records a caller's batch jobs may score per UTC day, by the caller's usage plan",
  }),
  batchRangeBytes: define<number>()({
    name: 'BATCH_RANGE_BYTES',
    setBy: 'you',
    ...integer(1024, 256 * 1024 * 1024),
    fallback: 4 * 1024 * 1024,
    defaultText: '4194304 (4 MiB; serverless.yml: the `batchRangeBytes` param)',
    description: 'about how many bytes of a batch input one range holds: the unit the Distributed Map batches and a scoring run reads by Range GET',
  }),
  xrayDaemonAddress: define<string | undefined>()({
    name: 'AWS_XRAY_DAEMON_ADDRESS',
    setBy: 'lambda',
    // lib/observability/xray-daemon.ts reads its forms, falling back to Lambda's usual address.
    ...anyText,
    fallback: undefined,
    defaultText: 'none',
    description: "where Lambda's X-Ray daemon listens",
  }),
  lambdaHandler: define<string>()({
    name: '_HANDLER',
    setBy: 'lambda',
    ...anyText,
    fallback: 'handler',
    defaultText: 'handler',
    description: "the function's handler (`handlers/predict.handler`), naming the trace's handler subsegment",
  }),
  initializationType: define<string | undefined>()({
    name: 'AWS_LAMBDA_INITIALIZATION_TYPE',
    setBy: 'lambda',
    ...anyText,
    fallback: undefined,
    defaultText: 'none',
    description: '`provisioned-concurrency` when Lambda started the container ahead of requests: then no request is a cold start',
  }),
  executionEnv: define<string | undefined>()({
    name: 'AWS_EXECUTION_ENV',
    setBy: 'lambda',
    ...anyText,
    fallback: undefined,
    defaultText: 'none',
    description: 'set in Lambda only: tracing needs it, as only Lambda has the daemon',
  }),
};

export type SettingValues = { readonly [K in keyof typeof DEFINITIONS]: (typeof DEFINITIONS)[K]['fallback'] };

/** Every definition, in the README's order. */
export const SETTING_DEFINITIONS: readonly SettingDefinition<unknown>[] = Object.values(DEFINITIONS);

/** The names of the settings the README documents (`setBy: 'you'`). */
export const DOCUMENTED_SETTINGS: readonly string[] = SETTING_DEFINITIONS.filter((d) => d.setBy === 'you').map((d) => d.name);

/** Every variable the service reads (documented or the platform's), for typing what tests may set. */
export type SettingName = (typeof DEFINITIONS)[keyof typeof DEFINITIONS]['name'];

/**
 * A malformed setting. Its stack is its message alone: Lambda logs an init
 * error with its stack, and where in this file the value was read tells an
 * operator nothing the message does not.
 */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** `MAX_BATCH is "abc": expected an integer from 1 to 100000`; a long value is shortened. */
function problem(definition: SettingDefinition<unknown>, text: string): string {
  return `${definition.name} is ${JSON.stringify(shorten(text))}: expected ${definition.accepts}`;
}

/**
 * Parses every setting from an environment (process.env, or a template's
 * function environment in the package tests), or throws a SettingsError
 * naming every bad one. Pure: it changes nothing, so it also validates an
 * environment before it is used.
 */
export function readSettings(env: Readonly<Record<string, string | undefined>>): SettingValues {
  const problems: string[] = [];
  const values = Object.fromEntries(
    Object.entries(DEFINITIONS).map(([key, definition]: [string, SettingDefinition<unknown>]) => {
      const text = env[definition.name];
      if (text === undefined || text === '') return [key, definition.fallback];
      const value = definition.parse(text);
      if (value === undefined) problems.push(problem(definition, text));
      return [key, value];
    }),
  );
  if (problems.length > 0) throw new SettingsError(problems);
  return values as SettingValues;
}

/** The parsed settings; read at import, so a bad one fails the function's init. */
let current: SettingValues = readSettings(process.env);

/**
 * Reads process.env again: the one documented way to change a setting after
 * this module has loaded (tests, tools; tests/helpers/settings.ts). A bad
 * value throws a SettingsError and leaves the settings as they were.
 */
export function resetSettings(): void {
  current = readSettings(process.env);
}

export const settings = {
  /** Where model folders live, absolute. */
  modelsDir: (): string => current.modelsDir,
  /** The S3 model store served instead of modelsDir (`s3://bucket/prefix`), if one is set. */
  modelStore: (): string | undefined => current.modelStore,
  /** Seconds a listing of the model store is trusted before a request lists it again. */
  modelStoreRelistSeconds: (): number => current.modelStoreRelistSeconds,
  /** Bytes of downloaded model files kept in /tmp. */
  modelStoreCacheBytes: (): number => current.modelStoreCacheMb * 1024 * 1024,
  /** The only versions served from the store, with their model.json's sha256, by `name@version`. */
  modelStorePins: (): ReadonlyMap<string, string> | undefined => current.modelStorePins,
  /** The model behind POST /predict and GET /health (serverless.yml). */
  defaultModel: (): string | undefined => current.defaultModel,
  /** Most records (or rows of a tensor) one request may carry. */
  maxBatch: (): number => current.maxBatch,
  /** Largest request body accepted, in bytes, checked before parsing. */
  maxBodyBytes: (): number => current.maxBodyBytes,
  /** Loaded model versions kept per container; the least recently used goes beyond. */
  maxSessions: (): number => current.maxSessions,
  /** Longest a shadow version may take on a request before it is skipped (README, "Releasing a new version"). */
  shadowBudgetMs: (): number => current.shadowBudgetMs,
  /** Reported by GET /v2. */
  serviceVersion: (): string => current.serviceVersion,
  serviceName: (): string => current.serviceName,
  /** X-Ray tracing: XRAY_TRACING=true (serverless.yml's `tracing` param), and only in Lambda, where a daemon listens. */
  tracing: (): boolean => current.xrayTracing && current.executionEnv !== undefined,
  /** Where Lambda's X-Ray daemon listens (lib/observability/xray-daemon.ts reads it). */
  xrayDaemonAddress: (): string | undefined => current.xrayDaemonAddress,
  /** The function's handler as Lambda names it (`handlers/predict.handler`), for the trace's handler subsegment. */
  lambdaHandler: (): string => current.lambdaHandler,
  /** Whether the repository checks the models folder for changes at each request (the local stage). */
  watchModels: (): boolean => current.watchModels,
  /** Percent of predict and infer requests captured (README, "Monitoring"). */
  captureSample: (): number => current.captureSample,
  /** The local folder captures and feedback are also written to (npm start), absolute. */
  captureDir: (): string | undefined => current.captureDir,
  /** The bucket of captures and monitoring reports (deployed stages). */
  monitoringBucket: (): string | undefined => current.monitoringBucket,
  /** Hours of captures the scheduled monitor reads. */
  monitorWindowHours: (): number => current.monitorWindowHours,
  /** Where batch jobs may read and write: BATCH_PREFIXES' text (lib/batch-jobs/locations.ts parses it). */
  batchPrefixes: (): string | undefined => current.batchPrefixes,
  batchStateMachineArn: (): string | undefined => current.batchStateMachineArn,
  batchBucket: (): string | undefined => current.batchBucket,
  /** BATCH_RECORD_LIMITS' text (lib/batch-jobs/record-limit.ts parses it). */
  batchRecordLimits: (): string | undefined => current.batchRecordLimits,
  batchRangeBytes: (): number => current.batchRangeBytes,
  /** Whether Lambda started this container ahead of requests (provisioned concurrency): then no request is a cold start. */
  provisionedConcurrency: (): boolean => current.initializationType === 'provisioned-concurrency',
};
