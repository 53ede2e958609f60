// Names shared by `npm run keys`, the local gateway and the key-expiry
// function (README, "Access"): how a customer's keys and the stage's usage
// plans are named on API Gateway, what a customer id may be, and the
// durations and days the commands take.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A customer id: a letter or digit, then up to 63 letters, digits, '.', '_' or '-'. */
export const CUSTOMER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkCustomer(customer: string | undefined): string {
  if (customer === undefined || customer === '') throw new Error('a customer id is required');
  if (!CUSTOMER_PATTERN.test(customer)) {
    throw new Error(`customer id ${JSON.stringify(customer.slice(0, 80))}: expected a letter or digit, then up to 63 letters, digits, '.', '_' or '-'`);
  }
  return customer;
}

/** `service:` of serverless.yml, the prefix of every name the stage has on AWS. */
export function serviceName(root: string): string {
  const match = /^service:\s*([A-Za-z0-9-]+)\s*$/m.exec(readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
  if (!match) throw new Error('serverless.yml names no service');
  return match[1]!;
}

/** The Serverless Framework's name of a usage plan of the stage (`provider.apiGateway.usagePlan`): ml-inference-free-dev. */
export const usagePlanName = (service: string, plan: string, stage: string) => `${service}-${plan}-${stage}`;

/** A usage plan's short name ("free") from its UsagePlanName, or undefined for a plan of another service or stage. */
export function shortPlanName(usagePlanName: string, service: string, stage: string): string | undefined {
  const [prefix, suffix] = [`${service}-`, `-${stage}`];
  if (!usagePlanName.startsWith(prefix) || !usagePlanName.endsWith(suffix) || usagePlanName.length <= prefix.length + suffix.length) return undefined;
  return usagePlanName.slice(prefix.length, -suffix.length);
}

/** Every key of every customer of a stage is named with this prefix (the template's own keys are `<service>-<stage>-<plan>`). */
export const customerKeyPrefix = (service: string, stage: string) => `${service}-${stage}-customer-`;
/** The name of each of a customer's keys on API Gateway: all its keys, the rotated ones too, share it. */
export const customerKeyName = (service: string, stage: string, customer: string) => `${customerKeyPrefix(service, stage)}${customer}`;

/** The tags `npm run keys` gives each customer key on API Gateway (the key-expiry function reads EXPIRES_TAG). */
export const CUSTOMER_TAG = 'customer';
export const PLAN_TAG = 'plan';
export const EXPIRES_TAG = 'expires-at';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90m", "2d", "30s", "1h30m", "0": milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g)];
  const whole = parts.map((p) => p[0]).join('') === trimmed && parts.length > 0;
  if (trimmed === '0') return 0;
  if (!whole) throw new Error(`duration ${JSON.stringify(text.slice(0, 40))}: expected a number and a unit (ms, s, m, h, d), e.g. 24h or 1h30m`);
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

/** The UTC day of a time: 2026-12-03. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A YYYY-MM-DD that is a real day, as its start in ms (UTC). */
export function parseDay(text: string, option: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms) || dayOf(ms) !== text) throw new Error(`${option} ${JSON.stringify(text.slice(0, 40))}: expected a day, YYYY-MM-DD`);
  return ms;
}

/** Every day from `from` to `to`, both included (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); dayOf(ms) <= to; ms += 86_400_000) days.push(dayOf(ms));
  return days;
}
