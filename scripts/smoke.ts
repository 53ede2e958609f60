import { isPlainObject } from '../lib/plain-object';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TOLERANCE, goldenDifference } from '../lib/model/golden';

/**
 * npm run smoke -- --url <base URL of a stage> | --stage <stage>
 *
 * Checks a running stage from the outside, as a client sees it, with the key
 * in SMOKE_API_KEY (README, "CI/CD"):
 *   models        GET /models lists at least one model
 *   ready <m>     GET /v2/models/<m>/ready is 200, for every model listed
 *   golden <m>    one golden case of every model through POST /models/<m>/predict
 *                 gives the golden answer; the case is the example pair that
 *                 /openapi.json shows on /models/<m>/predict (its request and
 *                 answer examples come from the manifest's golden cases)
 *   key required  a keyed route (GET /models) without a key answers 403 invalid_api_key
 *   docs page     GET /docs is 200 HTML
 *   openapi.json  GET /openapi.json is 200 JSON
 * Prints one line per check and exits 1 naming every failed check (2 on a
 * usage error). --stage finds the stage's base URL in the ServiceEndpoint
 * stack output, as `serverless info --stage <s> --verbose` prints it.
 */
const USAGE = 'usage: SMOKE_API_KEY=<key> npm run smoke -- (--url <base URL of a stage> | --stage <stage>) [--region <region>]';
const TIMEOUT_MS = 30_000;

type Outcome = { name: string; status: 'pass' | 'fail' | 'skip'; detail: string };
type Json = Record<string, unknown>;

const short = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The base URL of a deployed stage: the ServiceEndpoint output of its stack, from `serverless info --verbose`. */
export function endpointFromInfo(output: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return /^\s*ServiceEndpoint: (https?:\/\/\S+)\s*$/m.exec(plain)?.[1];
}

function stageEndpoint(stage: string, region: string | undefined): string {
  const root = path.resolve(__dirname, '..');
  const args = ['serverless', 'info', '--stage', stage, '--verbose', ...(region ? ['--region', region] : [])];
  const run = spawnSync('npx', args, { cwd: root, encoding: 'utf8', env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' }, timeout: 180_000 });
  const url = run.status === 0 ? endpointFromInfo(`${run.stdout}\n${run.stderr}`) : undefined;
  if (!url) throw new Error(`no ServiceEndpoint for stage ${stage} in \`npx ${args.join(' ')}\` (exit ${run.status}):\n${short(`${run.stdout}${run.stderr}`, 2000)}`);
  return url;
}

interface Reply {
  status: number;
  type: string;
  text: string;
  json?: unknown;
}

async function call(base: string, route: string, key: string | undefined, init: RequestInit = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(key ? { 'x-api-key': key } : {}) };
  const response = await fetch(`${base}${route}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json };
}

/** Why an answer is not the one wanted: the error message the service gives, else its body. */
const said = (r: Reply) => (isPlainObject(r.json) && typeof r.json.error === 'string' ? `${r.json.error}${typeof r.json.reason === 'string' && !r.json.error.includes(r.json.reason) ? ` (${r.json.reason})` : ''}` : short(r.text));

interface GoldenExample {
  key: string;
  version: string;
  request: unknown;
  answer: Json;
}

/** The golden examples /openapi.json shows on /models/{name}/predict: request and answer examples under one key (`<name>-<version>-golden-<i>`). */
function goldenExamples(document: unknown, name: string): { examples: GoldenExample[]; answersOnly: number } | undefined {
  const paths = isPlainObject(document) && isPlainObject(document.paths) ? document.paths : {};
  const post = isPlainObject(paths[`/models/${name}/predict`]) ? (paths[`/models/${name}/predict`] as Json).post : undefined;
  if (!isPlainObject(post)) return undefined;
  const dig = (value: unknown, ...keys: string[]) => keys.reduce<unknown>((at, k) => (isPlainObject(at) ? at[k] : undefined), value);
  const requests = dig(post, 'requestBody', 'content', 'application/json', 'examples');
  const answers = dig(post, 'responses', '200', 'content', 'application/json', 'examples');
  const requestOf = isPlainObject(requests) ? requests : {};
  const answerOf = isPlainObject(answers) ? answers : {};
  const examples: GoldenExample[] = [];
  for (const [key, example] of Object.entries(requestOf)) {
    const answer = dig(answerOf[key], 'value');
    const version = dig(answer, 'model', 'version');
    if (!isPlainObject(example) || !('value' in example) || !isPlainObject(answer) || typeof version !== 'string') continue;
    examples.push({ key, version, request: example.value, answer });
  }
  return { examples, answersOnly: Object.keys(answerOf).filter((k) => !(k in requestOf)).length };
}

/** The answer without what a golden answer does not record: the warnings a route may add. */
function withoutWarnings(answer: unknown): unknown {
  if (!isPlainObject(answer)) return answer;
  const { warnings: _warnings, ...rest } = answer;
  return rest;
}

async function goldenCheck(base: string, key: string, name: string, document: unknown): Promise<Outcome> {
  const check = `golden ${name}`;
  const found = goldenExamples(document, name);
  if (!found) return { name: check, status: 'fail', detail: `/openapi.json has no path /models/${name}/predict` };
  const [example] = found.examples;
  if (!example) {
    // An image model's golden case is a picture file, a tensor model's a seed: /openapi.json shows no JSON request for them.
    return found.answersOnly > 0
      ? { name: check, status: 'skip', detail: `its golden cases are files (a picture model): /openapi.json shows their answers but no JSON request to send` }
      : { name: check, status: 'skip', detail: `/openapi.json shows no golden example on /models/${name}/predict (a model whose golden cases are not JSON requests, e.g. tensors from a seed)` };
  }
  const body = JSON.stringify(example.request);
  let route = `/models/${name}/predict`;
  let reply = await call(base, route, key, { method: 'POST', body });
  const answered = (r: Reply) => (isPlainObject(r.json) && isPlainObject(r.json.model) ? r.json.model.version : undefined);
  let note = '';
  if (reply.status === 200 && answered(reply) !== example.version) {
    // The traffic split answered with another version than the example's: ask the example's own version.
    note = ` (the split answered with ${String(answered(reply))}; asked ${example.version} by its version path)`;
    route = `/models/${name}/versions/${example.version}/predict`;
    reply = await call(base, route, key, { method: 'POST', body });
  }
  if (reply.status !== 200) return { name: check, status: 'fail', detail: `POST ${route} with example ${example.key}: ${reply.status}, ${said(reply)}` };
  const now = withoutWarnings(reply.json);
  // /openapi.json does not carry the manifest's tolerance: numbers agree within the one model:add writes (lib/model/golden.ts).
  const difference = goldenDifference(example.answer, now, DEFAULT_TOLERANCE);
  if (difference) {
    return { name: check, status: 'fail', detail: `POST ${route} with example ${example.key} answers another answer than the golden one: ${difference} (tolerance ${DEFAULT_TOLERANCE.absolute} + ${DEFAULT_TOLERANCE.relative} × |recorded|)` };
  }
  const exact = JSON.stringify(example.answer) === JSON.stringify(now);
  return { name: check, status: 'pass', detail: `POST ${route} with example ${example.key} gives the golden answer${exact ? ' exactly' : ` within ${DEFAULT_TOLERANCE.absolute} + ${DEFAULT_TOLERANCE.relative} × |recorded|`}${note}` };
}

/** Every check against a base URL, in order; a check that throws (network, timeout) fails with the error. */
export async function smoke(base: string, key: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const run = async (name: string, check: () => Promise<Omit<Outcome, 'name'>>) => {
    let outcome: Outcome;
    try {
      outcome = { name, ...(await check()) };
    } catch (error) {
      outcome = { name, status: 'fail', detail: `${(error as Error).message}${(error as { cause?: Error }).cause ? `: ${(error as { cause: Error }).cause.message}` : ''}` };
    }
    outcomes.push(outcome);
    process.stdout.write(`${outcome.status.toUpperCase().padEnd(4)}  ${outcome.name}: ${outcome.detail}\n`);
  };

  let names: string[] = [];
  await run('models', async () => {
    const r = await call(base, '/models', key);
    if (r.status !== 200) return { status: 'fail', detail: `GET /models: ${r.status}, ${said(r)}` };
    const listed = isPlainObject(r.json) && Array.isArray(r.json.models) ? r.json.models : [];
    names = listed.flatMap((m) => (isPlainObject(m) && typeof m.name === 'string' ? [m.name] : []));
    return names.length > 0 ? { status: 'pass', detail: `GET /models lists ${names.join(', ')}` } : { status: 'fail', detail: 'GET /models lists no model' };
  });

  let document: unknown;
  await run('openapi.json', async () => {
    const r = await call(base, '/openapi.json', undefined);
    document = r.json;
    if (r.status !== 200) return { status: 'fail', detail: `GET /openapi.json without a key: ${r.status}, ${said(r)}` };
    if (!isPlainObject(r.json) || typeof r.json.openapi !== 'string') return { status: 'fail', detail: `GET /openapi.json is 200 but not an OpenAPI document: ${short(r.text)}` };
    return { status: 'pass', detail: `GET /openapi.json without a key: 200, OpenAPI ${r.json.openapi}` };
  });

  for (const name of names) {
    await run(`ready ${name}`, async () => {
      const r = await call(base, `/v2/models/${encodeURIComponent(name)}/ready`, key);
      return r.status === 200 ? { status: 'pass', detail: `GET /v2/models/${name}/ready: 200` } : { status: 'fail', detail: `GET /v2/models/${name}/ready: ${r.status}, ${said(r)}` };
    });
  }
  for (const name of names) await run(`golden ${name}`, async () => goldenCheck(base, key, name, document));

  await run('key required', async () => {
    const r = await call(base, '/models', undefined);
    const code = isPlainObject(r.json) ? r.json.code : undefined;
    if (r.status === 403 && code === 'invalid_api_key') return { status: 'pass', detail: 'GET /models without a key: 403 invalid_api_key' };
    return { status: 'fail', detail: `GET /models without a key: ${r.status}${code ? ` ${String(code)}` : ''}, expected 403 invalid_api_key` };
  });

  await run('docs page', async () => {
    const r = await call(base, '/docs', undefined, { headers: { accept: 'text/html' } });
    if (r.status !== 200) return { status: 'fail', detail: `GET /docs: ${r.status}, ${said(r)}` };
    if (!r.type.startsWith('text/html') || !/<html/i.test(r.text)) return { status: 'fail', detail: `GET /docs: 200 but ${r.type || 'no content type'}, not an HTML page` };
    return { status: 'pass', detail: `GET /docs: 200 ${r.type}` };
  });
  return outcomes;
}

export async function cli(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { url: { type: 'string' }, stage: { type: 'string' }, region: { type: 'string' } } }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if ((values.url === undefined) === (values.stage === undefined)) {
    process.stderr.write(`give one of --url and --stage\n${USAGE}\n`);
    return 2;
  }
  const key = process.env.SMOKE_API_KEY;
  if (!key) {
    process.stderr.write(`SMOKE_API_KEY is not set: the smoke test calls the keyed routes with it\n${USAGE}\n`);
    return 2;
  }
  let base: string;
  try {
    base = (values.url ?? stageEndpoint(values.stage!, values.region)).replace(/\/+$/, '');
    new URL(base);
  } catch (error) {
    process.stderr.write(`smoke: ${(error as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`Smoke test of ${base}\n`);
  const outcomes = await smoke(base, key);
  const failed = outcomes.filter((o) => o.status === 'fail');
  const skipped = outcomes.filter((o) => o.status === 'skip');
  const passed = outcomes.length - failed.length - skipped.length;
  const tally = `${passed} passed, ${failed.length} failed, ${skipped.length} skipped`;
  if (failed.length > 0) {
    process.stdout.write(`smoke: FAILED (${tally}): ${failed.map((o) => o.name).join('; ')}\n`);
    return 1;
  }
  process.stdout.write(`smoke: OK (${tally})\n`);
  return 0;
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
