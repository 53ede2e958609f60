// `npm start`: the local API on 127.0.0.1. serverless-offline runs the
// functions (bundled by serverless-esbuild, in its workers) and this
// process is the API Gateway in front of them, enforcing what the `local`
// stage's compiled template specifies (README, "The local API").
//
//   npm start [-- --param=name=value ...]     PORT (3000), LAMBDA_PORT (3002)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort } from '../free-port';
import { compiledTemplate } from './compiled-template';
import { checkTemplates } from './gateway-response';
import { LocalGateway } from './gateway-server';
import { readGatewaySpec, type ApiKey, type GatewaySpec } from './gateway-spec';

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

function describePlan({ plan }: ApiKey): string {
  const quota = plan.quota ? `, ${plan.quota.limit} requests per ${plan.quota.period.toLowerCase()}` : '';
  return `plan ${plan.name}: ${plan.rateLimit} requests/s, burst ${plan.burstLimit}${quota}`;
}

function banner(spec: GatewaySpec, base: string, customer: string): string {
  const [first] = spec.keys;
  const width = Math.max(...spec.keys.map((k) => k.value.length));
  const keys = spec.keys.map((k) => `  key ${k.name}: ${k.value.padEnd(width)}  (${describePlan(k)})`).join('\n');
  const reserved = [...spec.functions.values()]
    .map((f) => f.reservedConcurrency)
    .filter((n): n is number => n !== undefined);
  return `
Local API ready: ${base}   (Ctrl-C stops it)

API keys of the ${STAGE} stage (fixed values from serverless.yml, not secrets):
${keys}
Usage plans are enforced: over a plan's rate or quota the answer is 429. Each
function serves at most ${Math.min(...reserved)} requests at once (its reserved concurrency).

Try:

  curl -s -X POST ${base}/predict \\
    -H 'x-api-key: ${first!.value}' -H 'content-type: application/json' \\
    -d '${customer}'

  curl -s ${base}/health -H 'x-api-key: ${first!.value}'

Without the x-api-key header the same calls get 403.

Docs: open ${base}/docs in a browser, press Authorize, paste a key above.
`;
}

async function main(): Promise<void> {
  const root = projectRoot(process.cwd());
  const params = paramsOf(process.argv.slice(2));
  const port = Number(process.env.PORT ?? 3000);
  const lambdaPort = Number(process.env.LAMBDA_PORT ?? 3002);

  const compiled = await compiledTemplate(root, STAGE, params);
  if (compiled.fresh) console.log(`Compiled the ${STAGE} stage's template into ${path.relative(root, compiled.folder)}/`);
  const spec = readGatewaySpec(compiled.template, STAGE);
  checkTemplates(spec);

  // serverless-offline's own HTTP routes listen on a port nobody is told
  // about; its lambda port is what the gateway calls.
  const offlineHttpPort = await freePort();
  const offline = spawn(
    process.execPath,
    [require.resolve('serverless/bin/serverless.js', { paths: [root] }), 'offline', 'start', '--stage', STAGE, '--host', '127.0.0.1',
      '--httpPort', String(offlineHttpPort), '--lambdaPort', String(lambdaPort), ...params.map((p) => `--param=${p}`)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  const gateway = new LocalGateway({ spec, lambdaPort, accessLogFormat: compiled.accessLogFormat, log: (line) => console.log(line) });

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
          console.log(banner(spec, `http://127.0.0.1:${bound}/${STAGE}`, customer));
        })
        .catch((error: Error) => {
          console.error(`local gateway: cannot listen on 127.0.0.1:${port}: ${error.message}`);
          stop(1);
        });
    }
  };
  readline.createInterface({ input: offline.stdout! }).on('line', (l) => onLine(l, process.stdout));
  readline.createInterface({ input: offline.stderr! }).on('line', (l) => onLine(l, process.stderr));

  const stop = (code: number) => {
    offline.kill('SIGTERM');
    void gateway.close().then(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  offline.on('exit', (code) => {
    if (!ready) console.error(`serverless-offline did not start:\n${held.join('\n')}`);
    void gateway.close().then(() => process.exit(code ?? 1));
  });
}

main().catch((error: Error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});
