// `npm start`: the local API on 127.0.0.1. serverless-offline runs the
// functions (bundled by serverless-esbuild, in its workers) and this
// process is the API Gateway in front of them, enforcing what the `local`
// stage's compiled template specifies (README, "The local API").
//
//   npm start [-- --param=name=value ...]     PORT (3000), LAMBDA_PORT (3002)
//
// The functions' documented settings given in the shell (README, "Settings":
// `MODELS_DIR=/some/folder npm start`) reach them: they are validated here
// with the functions' own definitions before anything starts, and
// serverless.yml's local stage takes them from the environment
// serverless-offline is started with (params.local.settingsFromShell).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../free-port';
import { compiledTemplate } from './compiled-template';
import { checkTemplates } from './gateway-response';
import { INTEGRATION_TIMEOUT_MS, LocalGateway } from './gateway-server';
import { functionSettings, localCaptureDir } from './function-settings';
import { stopProcessGroup } from '../process-group';
import { runAsOfflineChild, startOffline } from './offline-process';
import { readGatewaySpec, type ApiKey, type GatewaySpec } from './gateway-spec';
import { CustomerKeys, customerPlans, keysFolder, localClock } from './customer-keys';
import { serviceName } from '../keys/naming';
import { shorten } from '../../lib/shorten';

const STAGE = 'local';

function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'serverless.yml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('serverless.yml not found above the working folder');
    dir = parent;
  }
  return dir;
}

/** `--param=a=b` and `--param a=b`, as the serverless CLI takes them. */
export function paramsOf(argv: string[]): string[] {
  const params: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg.startsWith('--param=')) params.push(arg.slice('--param='.length));
    else if (arg === '--param' && argv[i + 1]) params.push(argv[(i += 1)]!);
    else throw new Error(`unknown argument ${arg}: only --param=name=value is taken`);
  }
  return params;
}

/** A refusal to start: printed as it is, one line per problem, with no stack. */
class Refusal extends Error {}

/**
 * The documented settings the shell gives (`given`), checked with the
 * functions' own definitions (lib/settings.ts), and the rest of the shell's
 * environment (`others`: without any of them, not even an empty one, which
 * would reach the functions as '' rather than as the template's value).
 * MODELS_DIR is made absolute and must be a folder: a typo would otherwise
 * serve no model at all.
 */
function shellSettings(): { given: Record<string, string>; others: NodeJS.ProcessEnv } {
  // Required here, not imported: loading lib/settings parses this process's
  // environment, the shell's, and throws on a bad value, which must become
  // this refusal rather than an uncaught error.
  let loaded: typeof import('../../lib/settings');
  try {
    loaded = require('../../lib/settings') as typeof import('../../lib/settings');
  } catch (error) {
    const problems = (error as { problems?: readonly string[] }).problems;
    if (problems === undefined) throw error;
    throw new Refusal(problems.join('\n'));
  }
  const given = Object.fromEntries(loaded.DOCUMENTED_SETTINGS.filter((name) => process.env[name]).map((name) => [name, process.env[name]!]));
  if (given.MODELS_DIR !== undefined) {
    const dir = loaded.settings.modelsDir();
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Refusal(`MODELS_DIR is ${JSON.stringify(shorten(given.MODELS_DIR))}: expected a folder, and ${dir} is none`);
    given.MODELS_DIR = dir;
  }
  const documented = new Set(loaded.DOCUMENTED_SETTINGS);
  return { given, others: Object.fromEntries(Object.entries(process.env).filter(([name]) => !documented.has(name))) };
}

/** PORT and LAMBDA_PORT, refused as the functions' settings are when malformed. */
function portSetting(name: 'PORT' | 'LAMBDA_PORT', fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Refusal(`${name} is ${JSON.stringify(shorten(text))}: expected an integer from 1 to 65535`);
  return port;
}

function describePlan({ plan }: ApiKey): string {
  const quota = plan.quota ? `, ${plan.quota.limit} requests per ${plan.quota.period.toLowerCase()}` : '';
  return `plan ${plan.name}: ${plan.rateLimit} requests/s, burst ${plan.burstLimit}${quota}`;
}

function banner(spec: GatewaySpec, base: string, customer: string, fromShell: Record<string, string>, captureDir: string, customerKeys: string): string {
  const [first] = spec.keys;
  const width = Math.max(...spec.keys.map((k) => k.value.length));
  const keys = spec.keys.map((k) => `  key ${k.name}: ${k.value.padEnd(width)}  (${describePlan(k)})`).join('\n');
  // The functions behind keyed routes (not the scheduled monitor, which no request reaches, nor the public docs).
  const keyed = new Set(spec.routes.flatMap((r) => (r.apiKeyRequired && r.integration.type === 'lambda' ? [r.integration.functionName] : [])));
  const reserved = [...spec.functions.values()]
    .filter((f) => keyed.has(f.name))
    .map((f) => f.reservedConcurrency)
    .filter((n): n is number => n !== undefined);
  const given = Object.entries(fromShell).map(([name, value]) => `${name}=${value}`);
  const sample = fromShell.CAPTURE_SAMPLE;
  const capture = sample === undefined || Number(sample) === 0 ? 'none (CAPTURE_SAMPLE=100 npm start captures all)' : `${sample} %`;
  const settingsLine = given.length > 0 ? `\nSettings from the shell, over serverless.yml's: ${given.join(' ')}\n` : '';
  const policyLine = spec.sourceIpPolicy ? `\nResource policy (param allowedCidrs), on the caller's address: ${spec.sourceIpPolicy.describe()}; others get 403.` : '';
  return `
Local API ready: ${base}   (Ctrl-C stops it)
${settingsLine}
API keys of the ${STAGE} stage (fixed values from serverless.yml, not secrets):
${keys}
${customerKeys}
Usage plans are enforced: over a plan's rate or quota the answer is 429. Each
keyed function serves at most ${Math.min(...reserved)} requests at once (its reserved concurrency);
beyond that the answer is 500 function_unavailable. Both carry Retry-After.${policyLine}

Try:

  curl -s -X POST ${base}/predict \\
    -H 'x-api-key: ${first!.value}' -H 'content-type: application/json' \\
    -d '${customer}'

  curl -s ${base}/health -H 'x-api-key: ${first!.value}'

Without the x-api-key header the same calls get 403.

Monitoring: ${capture} of predict and infer requests are captured, and feedback recorded,
under ${captureDir} (README, "Monitoring"); npm run monitor reads them.

Docs: open ${base}/docs in a browser, press Authorize, paste a key above.
`;
}

async function main(): Promise<void> {
  const root = projectRoot(process.cwd());
  const params = paramsOf(process.argv.slice(2));
  const port = portSetting('PORT', 3000);
  const lambdaPort = portSetting('LAMBDA_PORT', 3002);
  const { given: fromShell, others } = shellSettings();

  // Compiled without the shell's settings, so the cached template holds the
  // template's own: its cache is keyed on serverless.yml and the params
  // only, and the gateway reads no function's environment from it.
  const compiled = await compiledTemplate(root, STAGE, params, others);
  if (compiled.fresh) console.log(`Compiled the ${STAGE} stage's template into ${path.relative(root, compiled.folder)}/`);
  const spec = readGatewaySpec(compiled.template, STAGE);
  checkTemplates(spec);

  // serverless-offline's own HTTP routes listen on a port nobody is told
  // about; its lambda port is what the gateway calls.
  const offlineHttpPort = await freePort();
  const offline = startOffline(
    require.resolve('serverless/bin/serverless.js', { paths: [root] }),
    ['offline', 'start', '--stage', STAGE, '--host', '127.0.0.1', '--httpPort', String(offlineHttpPort), '--lambdaPort', String(lambdaPort), ...params.map((p) => `--param=${p}`)],
    { cwd: root, env: { ...others, ...functionSettings(root, fromShell), SLS_TELEMETRY_DISABLED: '1' } },
  );
  // Customer keys (README, "Access"): kept as data beside the template's keys, re-read at each request.
  const customerKeys = new CustomerKeys({ folder: keysFolder(root), plans: customerPlans(compiled.template.Resources, serviceName(root), STAGE), clock: localClock(), log: (line) => console.error(line) });
  const gateway = new LocalGateway({ spec, lambdaPort, accessLogFormat: compiled.accessLogFormat, log: (line) => console.log(line), moreKeys: customerKeys });

  // serverless-offline's start-up output names its own HTTP port and key; it
  // is kept back (and shown only if it fails to start). After start-up, what
  // the functions write passes through.
  let ready = false;
  const held: string[] = [];
  const onLine = (line: string, stream: NodeJS.WriteStream) => {
    if (ready) return void stream.write(`${line}\n`);
    held.push(line);
    if (/Server ready:/.test(line)) {
      ready = true;
      gateway
        .listen(port)
        .then((bound) => {
          const customer = JSON.stringify(JSON.parse(readFileSync(path.join(root, 'examples/customer.json'), 'utf8')));
          const customers = `Customer keys: ${customerKeys.customers()} customers in ${customerKeys.file.startsWith(`${root}${path.sep}`) ? path.relative(root, customerKeys.file) : customerKeys.file}, re-read at every request (npm run keys -- list).`;
          console.log(banner(spec, `http://127.0.0.1:${bound}/${STAGE}`, customer, fromShell, localCaptureDir(root, fromShell), customers));
        })
        .catch((error: Error) => {
          console.error(`local gateway: cannot listen on 127.0.0.1:${port}: ${error.message}`);
          stop(1);
        });
    }
  };
  readline.createInterface({ input: offline.stdout! }).on('line', (l) => onLine(l, process.stdout));
  readline.createInterface({ input: offline.stderr! }).on('line', (l) => onLine(l, process.stderr));

  // A graceful stop: no new request, every request under way answered
  // (bounded by API Gateway's integration timeout), then serverless-offline.
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void gateway
      .drain(INTEGRATION_TIMEOUT_MS + 1000)
      .then((left) => {
        if (left > 0) console.error(`npm start: stopping with ${left} requests still under way after ${INTEGRATION_TIMEOUT_MS / 1000 + 1} s`);
        return stopProcessGroup(offline);
      })
      .then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  offline.on('exit', (code) => {
    if (stopping) return;
    if (!ready) console.error(`serverless-offline did not start:\n${held.join('\n')}`);
    void gateway.close().then(() => process.exit(code ?? 1));
  });
}

if (!runAsOfflineChild()) main().catch((error: Error) => {
  const lines = error instanceof Refusal ? error.message.split('\n') : [error.message];
  for (const line of lines) console.error(`npm start: ${line}`);
  process.exit(1);
});
