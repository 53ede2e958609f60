// npm run keys -- <command> (README, "Access"): customer keys as data, not
// code. No deploy and no template change: on the local stage they are the
// file the running `npm start` reads at each request; on a deployed stage,
// API keys on the stage's usage plans, through the AWS SDK.
//
//   create --customer <id> --plan <plan>   a key on a plan; its value printed once
//   list                                   customers, their plans and key ids (never a value)
//   revoke <customer>                      every key of the customer refused from now on
//   rotate <customer> [--grace 24h]        a new key; the old one works until the grace ends
//   usage <customer> [--from d] [--to d]   requests per day against the plan's quota
//   every command: [--stage local|<deployed stage>] [--region r] [--json]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { IssuedKey, KeysBackend, ListedCustomer, Revocation, UsageReport } from './backend';
import { AwsKeys } from './aws';
import { LocalKeys } from './local';
import { parseDay, parseDuration, serviceName } from './naming';

export const USAGE = `usage: npm run keys -- <command> [options]
  create --customer <id> --plan <plan>        a key for a customer on a usage plan (free, pro); its value is printed once
  list                                        the customers, their plans and key ids; never a key value
  revoke <customer>                           every key of the customer refused from now on
  rotate <customer> [--grace 24h]             a new key; the old one keeps working until the grace ends (0: at once)
  usage <customer> [--from YYYY-MM-DD] [--to YYYY-MM-DD]   requests per day against the plan's quota (default: this month)
options: --stage local (the default: npm start's keys) or a deployed stage (AWS credentials; --region, else AWS_REGION, else us-east-1); --json`;

export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
}

export interface KeysDeps {
  root: string;
  env?: NodeJS.ProcessEnv;
  /** The API Gateway client of a deployed stage (tests give one whose requests are recorded and answered). */
  client?: (region: string) => APIGatewayClient;
  /** The clock of a deployed stage's commands (the local stage's is localClock(env)). */
  now?: () => number;
  /** The local stage's backend (tests give one with the template's plans). */
  local?: KeysBackend;
}

class UsageError extends Error {}

function issuedText(issued: IssuedKey, verb: string, grace?: { ms: number; text: string }): string {
  const local = issued.stage === 'local';
  const lines = [
    `${verb} customer ${issued.customer}: a new key on plan ${issued.plan}, stage ${issued.stage} (key id ${issued.keyId}; the functions see the customer as ${issued.apiKeyId})`,
    '',
    `  x-api-key: ${issued.key}`,
    '',
    'The value is shown this once and kept nowhere: hand it to the customer now.',
    local ? 'A running npm start accepts it from its next request.' : `It is on the stage's usage plan ${issued.plan}: API Gateway accepts it.`,
  ];
  for (const old of issued.retiring ?? []) {
    lines.push(
      grace?.ms === 0
        ? `Key ${old.keyId} is refused from now on.`
        : `Key ${old.keyId} keeps working until ${old.expires} (grace ${grace?.text}), then ${local ? 'the local gateway refuses it' : 'the key-expiry function disables it (it runs every 10 minutes)'}.`,
    );
  }
  return lines.join('\n');
}

function listText(customers: ListedCustomer[], backend: KeysBackend): string {
  if (customers.length === 0) return `No customer keys on stage ${backend.stage} (${backend.where}): npm run keys -- create --customer <id> --plan <plan>`;
  const rows = customers.map((c) => [
    c.customer,
    c.plan,
    c.status,
    c.keys.map((k) => `${k.keyId} ${k.status}${k.status === 'active' && k.expires ? ` until ${k.expires}` : ''}`).join(', '),
  ]);
  const header = ['customer', 'plan', 'status', 'keys'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [`Customer keys of stage ${backend.stage} (${backend.where}):`, line(header), ...rows.map(line)].join('\n');
}

function revokeText(r: Revocation): string {
  const keys = r.revoked.length === 0 ? 'it had no working key' : `key${r.revoked.length > 1 ? 's' : ''} ${r.revoked.join(', ')} refused from now on`;
  const where = r.stage === 'local' ? ' (a running npm start refuses them from its next request)' : ' (disabled on API Gateway)';
  return `Revoked customer ${r.customer} on stage ${r.stage}: ${keys}${r.revoked.length ? where : ''}.`;
}

function usageText(u: UsageReport): string {
  const quota = u.quota ? `${u.quota.limit} requests per ${u.quota.period.toLowerCase()} per key` : 'no quota';
  const width = Math.max(8, String(u.total).length);
  const lines = [`Usage of customer ${u.customer} on stage ${u.stage}, plan ${u.plan} (${quota}), ${u.from} to ${u.to}:`, `  day         ${'requests'.padStart(width)}`];
  for (const d of u.days) lines.push(`  ${d.day}  ${String(d.requests).padStart(width)}`);
  lines.push(`  total       ${String(u.total).padStart(width)}`);
  for (const k of u.keys) {
    const left = k.remaining === null ? '' : `, ${k.remaining} left of this ${u.quota!.period.toLowerCase()}'s quota`;
    lines.push(`  key ${k.keyId} (${k.status}): ${k.requests} request${k.requests === 1 ? '' : 's'}${left}`);
  }
  return lines.join('\n');
}

function backendFor(stage: string, region: string | undefined, deps: KeysDeps): KeysBackend {
  const env = deps.env ?? process.env;
  if (stage === 'local') return deps.local ?? new LocalKeys(deps.root, env);
  const chosen = region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const client = deps.client ? deps.client(chosen) : new APIGatewayClient({ region: chosen });
  return new AwsKeys(client, serviceName(deps.root), stage, deps.now);
}

/** Runs one command; the exit status (0 done, 1 refused or failed, 2 a malformed command line). */
export async function runKeys(argv: string[], io: KeysIo, deps: KeysDeps): Promise<number> {
  try {
    const { values, positionals } = (() => {
      try {
        return parseArgs({
          args: argv,
          allowPositionals: true,
          options: {
            customer: { type: 'string' },
            plan: { type: 'string' },
            stage: { type: 'string', default: 'local' },
            region: { type: 'string' },
            grace: { type: 'string', default: '24h' },
            from: { type: 'string' },
            to: { type: 'string' },
            json: { type: 'boolean', default: false },
          },
        });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    })();
    const [command, ...rest] = positionals;
    if (rest.length > 1 || (rest.length === 1 && values.customer !== undefined)) throw new UsageError('one customer at a time');
    const customer = values.customer ?? rest[0];
    const needs = (what: string, value: string | undefined): string => {
      if (value === undefined || value === '') throw new UsageError(`${command} needs ${what}`);
      return value;
    };
    if (!/^[A-Za-z0-9-]{1,64}$/.test(values.stage)) throw new UsageError(`--stage ${JSON.stringify(values.stage.slice(0, 40))}: expected a stage name`);
    const backend = () => backendFor(values.stage, values.region, deps);
    const print = (json: unknown, text: string) => io.out(values.json ? JSON.stringify(json) : text);
    switch (command) {
      case 'create': {
        const issued = await backend().create(needs('--customer <id>', customer), needs('--plan <plan>', values.plan));
        print(issued, issuedText(issued, 'Created'));
        return 0;
      }
      case 'list': {
        if (customer !== undefined) throw new UsageError('list takes no customer');
        const b = backend();
        const customers = await b.list();
        print({ stage: b.stage, customers }, listText(customers, b));
        return 0;
      }
      case 'revoke': {
        const revoked = await backend().revoke(needs('a customer', customer));
        print(revoked, revokeText(revoked));
        return 0;
      }
      case 'rotate': {
        let grace: number;
        try {
          grace = parseDuration(values.grace);
        } catch (error) {
          throw new UsageError(`--grace: ${(error as Error).message}`);
        }
        const issued = await backend().rotate(needs('a customer', customer), grace);
        print(issued, issuedText(issued, 'Rotated', { ms: grace, text: values.grace }));
        return 0;
      }
      case 'usage': {
        const who = needs('a customer', customer);
        try {
          if (values.from !== undefined) parseDay(values.from, '--from');
          if (values.to !== undefined) parseDay(values.to, '--to');
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        if (values.from !== undefined && values.to !== undefined && values.from > values.to) throw new UsageError('--from is after --to');
        const report = await backend().usage(who, values.from, values.to);
        print(report, usageText(report));
        return 0;
      }
      default:
        throw new UsageError(command === undefined ? 'a command is required' : `unknown command ${JSON.stringify(command.slice(0, 40))}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`keys: ${error.message}\n${USAGE}`);
      return 2;
    }
    // The SDK's errors name the operation's failure (AccessDenied, NotFound, ...); never a key value, which no request here sends.
    const { name, message } = error as Error;
    io.err(`keys: ${name && name !== 'Error' ? `${name}: ` : ''}${message}`);
    return 1;
  }
}

if (require.main === module) {
  // From the project's root (npm run sets the working folder to it).
  const root = path.resolve(process.cwd());
  void runKeys(process.argv.slice(2), { out: (t) => console.log(t), err: (t) => console.error(t) }, { root }).then((code) => process.exit(code));
}
