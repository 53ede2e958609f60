import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOCUMENTED_SETTINGS, readSettings } from '../../lib/settings';
import { functions as httpFunctions, scheduled, steps } from '../../lib/http/routes';
import { environmentWithoutSettings } from '../../scripts/local-api';
import { repoRoot } from '../helpers/models';
import { resourcesOfType, template } from './artifacts';
import { stages } from './stages';

/**
 * How the functions' settings reach them, read from serverless.yml as the
 * CLI resolves it (`serverless print`, no packaging): the local stage takes
 * the shell's (params.local.settingsFromShell), a deployable stage never
 * does; and every packaged stage's environment is one the functions accept.
 */

const cli = require.resolve('serverless/bin/serverless.js', { paths: [repoRoot] });

interface Printed {
  provider: { environment: Record<string, string> };
  functions: Record<string, { environment?: Record<string, string> | null }>;
}

/** serverless.yml resolved for a stage, with these settings in the shell and no other. */
function printed(stage: string, shell: Record<string, string>): Printed {
  const stdout = execFileSync('timeout', ['120', process.execPath, cli, 'print', '--stage', stage, '--format', 'json'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...environmentWithoutSettings(), ...shell, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  return JSON.parse(stdout) as Printed;
}

/** A valid value for every documented setting, none of them its default or serverless.yml's. */
const FROM_SHELL: Record<string, string> = {
  MODELS_DIR: '/tmp/settings-from-the-shell',
  DEFAULT_MODEL: 'from-the-shell',
  MAX_BATCH: '77',
  MAX_BODY_BYTES: '54321',
  MAX_SESSIONS: '3',
  SHADOW_BUDGET_MS: '45',
  SERVICE_VERSION: '9.8.7-from-the-shell',
  POWERTOOLS_SERVICE_NAME: 'from-the-shell',
  POWERTOOLS_LOG_LEVEL: 'WARN',
  POWERTOOLS_LOGGER_SAMPLE_RATE: '0.125',
  XRAY_TRACING: 'true',
  CAPTURE_SAMPLE: '12.5',
  CAPTURE_DIR: '/tmp/captures-from-the-shell',
  MONITORING_BUCKET: 'bucket-from-the-shell',
  MONITOR_WINDOW_HOURS: '6',
  BATCH_PREFIXES: 's3://bucket-from-the-shell/batch/',
  BATCH_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:from-the-shell',
  BATCH_BUCKET: 'ledger-from-the-shell',
  BATCH_RECORD_LIMITS: 'plan1=5,plan2=6',
  BATCH_RANGE_BYTES: '65536',
  WATCH_MODELS: 'false',
  MODEL_STORE: 's3://store-from-the-shell/local/',
  MODEL_STORE_RELIST_SECONDS: '5',
  MODEL_STORE_CACHE_MB: '100',
  MODEL_STORE_PINS: `churn@1.0.0=${'c'.repeat(64)}`,
};

/** What the local stage sets itself, beside provider.environment (serverless.yml, params.local.settingsFromShell). */
const LOCAL_STAGE_OWN: Record<string, string> = { WATCH_MODELS: 'true' };

/** The functions with settings of their own on a deployable stage (serverless.yml, custom.functionEnvironment): the monitoring and batch buckets, the batch state machine and usage plans, by reference. */
const BATCH_PREFIXES = { 'Fn::Join': [',', [{ 'Fn::Sub': 's3://${BatchBucket}/jobs/' }]] };
const DEPLOYED_OWN: Record<string, Record<string, unknown>> = {
  monitor: { MONITORING_BUCKET: { Ref: 'MonitoringBucket' }, MONITOR_WINDOW_HOURS: '24' },
  monitoring: { MONITORING_BUCKET: { Ref: 'MonitoringBucket' } },
  'batch-jobs': {
    BATCH_PREFIXES,
    BATCH_STATE_MACHINE_ARN: { Ref: 'BatchStateMachine' },
    BATCH_BUCKET: { Ref: 'BatchBucket' },
    BATCH_RECORD_LIMITS: { 'Fn::Join': ['', [{ Ref: 'ApiGatewayUsagePlanFree' }, '=100000,', { Ref: 'ApiGatewayUsagePlanPro' }, '=10000000']] },
  },
  batch: { BATCH_PREFIXES, BATCH_BUCKET: { Ref: 'BatchBucket' }, BATCH_RANGE_BYTES: '4194304' },
};
/** A name CloudFormation gives a bucket of this stack, for what the functions would read once {Ref: MonitoringBucket} is resolved. */
const GENERATED_BUCKET = 'ml-inference-dev-monitoringbucket-1a2b3c4d5e6f';
/** What CloudFormation makes of the batch functions' references, in the forms the settings take. */
const RESOLVED: Record<string, string> = {
  MonitoringBucket: GENERATED_BUCKET,
  BatchBucket: 'ml-inference-dev-batchbucket-1a2b3c4d5e6f',
  BatchStateMachine: 'arn:aws:states:us-east-1:123456789012:stateMachine:ml-inference-dev-batch',
  ApiGatewayUsagePlanFree: 'a1b2c3',
  ApiGatewayUsagePlanPro: 'd4e5f6',
  // MODEL_STORE: {Fn::Sub: s3://${ModelStoreBucket}/dev/} (resources/model-store.js).
  ModelStoreBucket: 'ml-inference-dev-modelstorebucket-1a2b3c4d5e6f',
};
type Cfn = string | number | { Ref?: string; 'Fn::Sub'?: string; 'Fn::Join'?: [string, Cfn[]] };
function resolved(value: Cfn): string {
  if (typeof value !== 'object') return String(value);
  if (value.Ref !== undefined) return RESOLVED[value.Ref]!;
  if (value['Fn::Sub'] !== undefined) return value['Fn::Sub'].replace(/\$\{(\w+)\}/g, (_, name: string) => RESOLVED[name]!);
  if (value['Fn::Join'] !== undefined) return value['Fn::Join'][1].map(resolved).join(value['Fn::Join'][0]);
  throw new Error(`not a reference this test resolves: ${JSON.stringify(value)}`);
}

it('the values given below cover every documented setting, each one the settings accept', () => {
  expect(Object.keys(FROM_SHELL).sort()).toEqual([...DOCUMENTED_SETTINGS].sort());
  expect(() => readSettings(FROM_SHELL)).not.toThrow();
});

describe('the local stage (npm start)', () => {
  it('gives every function each documented setting from the shell, over provider.environment', () => {
    const config = printed('local', FROM_SHELL);
    expect(Object.keys(config.functions).length).toBeGreaterThan(0);
    for (const [name, fn] of Object.entries(config.functions)) expect({ name, environment: fn.environment }).toEqual({ name, environment: FROM_SHELL });
  });

  it("gives every function the template's own value (the stage's, for WATCH_MODELS), or '' (unset), for each one the shell does not give", () => {
    const config = printed('local', {});
    const provider = config.provider.environment;
    const expected = Object.fromEntries(DOCUMENTED_SETTINGS.map((name) => [name, provider[name] ?? LOCAL_STAGE_OWN[name] ?? '']));
    for (const [name, fn] of Object.entries(config.functions)) {
      expect({ name, environment: fn.environment }).toEqual({ name, environment: expected });
      // So a function reads exactly what provider.environment and the stage's own values give it.
      expect(readSettings({ ...provider, ...fn.environment })).toEqual(readSettings({ ...provider, ...LOCAL_STAGE_OWN }));
    }
  });
});

describe('deployable stages', () => {
  it.each(['dev', 'prod'])("%s reads nothing from the shell: resolved the same with the shell's settings as without, no function environment of its own but the monitoring bucket's", (stage) => {
    const without = printed(stage, {});
    expect(printed(stage, FROM_SHELL)).toEqual(without);
    for (const [name, fn] of Object.entries(without.functions)) expect({ name, environment: fn.environment ?? null }).toEqual({ name, environment: DEPLOYED_OWN[name] ?? null });
  });
});

describe('packaging', () => {
  /** lib/validators/precompiled.ts through scripts/esbuild-plugins.js, as serverless-esbuild builds it, in a shell with these settings: {file: contents}. */
  function precompiledValidators(shell: Record<string, string>): Record<string, string> {
    const out = mkdtempSync(path.join(tmpdir(), 'validators-'));
    try {
      const build = `require('esbuild').build({ entryPoints: ['lib/validators/precompiled.ts'], bundle: true, platform: 'node', format: 'cjs',
        outdir: process.argv[1], logLevel: 'warning', plugins: require('./scripts/esbuild-plugins.js') }).catch((e) => { console.error(e.message); process.exit(1); })`;
      execFileSync(process.execPath, ['-e', build, out], { cwd: repoRoot, env: { ...environmentWithoutSettings(), ...shell }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
      return Object.fromEntries(files.map((e) => [path.relative(out, path.join(e.parentPath, e.name)), readFileSync(path.join(e.parentPath, e.name), 'utf8')]));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  it("neither fails nor changes with a malformed setting in the packager's shell (the validators' build runs code that loads lib/settings)", () => {
    const clean = precompiledValidators({});
    expect(Object.keys(clean).length).toBeGreaterThan(1);
    expect(precompiledValidators({ MAX_BATCH: 'abc', MODELS_DIR: '/no/such/folder' })).toEqual(clean);
  });
});

describe('every packaged stage', () => {
  it.each(stages.map((s) => s.name))("%s: each function's environment in the template is one the functions accept", (name) => {
    // Ours, not osls's custom resource for API Gateway's CloudWatch role.
    const functions = resourcesOfType(template(name), 'AWS::Lambda::Function').filter(([, fn]) => String(fn.Properties.Handler).startsWith('handlers/'));
    expect(functions.length).toBe(Object.keys(httpFunctions).length + Object.keys(scheduled).length + Object.keys(steps).length);
    for (const [id, fn] of functions) {
      const variables = fn.Properties.Environment.Variables as Record<string, Cfn>;
      // As CloudFormation resolves the references to the stack's buckets (the model store's too), state machine and usage plans.
      const env = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolved(v)]));
      let problem: string | null = null;
      try {
        readSettings(env);
      } catch (error) {
        problem = (error as Error).message;
      }
      expect({ id, problem }).toEqual({ id, problem: null });
    }
  });
});
