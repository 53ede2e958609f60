// The local gateway's usage counters of customer keys (README, "Access"):
// requests let through, per customer, per key, per UTC day, kept in
// <keys folder>/usage.json, where `npm run keys -- usage` reads them. The
// gateway is the one writer: each counted request is on disk before its
// answer is sent, so a `keys usage` run after a client's last answer counts
// every request it got through. A restart keeps them, and the gateway resumes
// each key's quota from them.
import { isPlainObject } from '../../lib/plain-object';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** customer → key id → day (YYYY-MM-DD) → requests. */
type Counts = Map<string, Map<string, Map<string, number>>>;

interface UsageFile {
  version: 1;
  customers: Record<string, Record<string, Record<string, number>>>;
}


/** The counters in `file`; none when it does not exist. A malformed file is an error naming it. */
export function readUsage(file: string): Counts {
  const counts: Counts = new Map();
  if (!existsSync(file)) return counts;
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!isPlainObject(data) || data.version !== 1 || !isPlainObject(data.customers)) throw new Error(`${file}: not a usage file of the local gateway (version 1)`);
  for (const [customer, keys] of Object.entries(data.customers)) {
    if (!isPlainObject(keys)) throw new Error(`${file}: customer ${customer} has no key counters`);
    counts.set(customer, new Map(Object.entries(keys).map(([id, days]) => {
      if (!isPlainObject(days) || !Object.values(days).every((n) => Number.isInteger(n) && (n as number) >= 0)) throw new Error(`${file}: key ${id} has malformed day counters`);
      return [id, new Map(Object.entries(days as Record<string, number>))];
    })));
  }
  return counts;
}

function serialize(counts: Counts): UsageFile {
  return {
    version: 1,
    customers: Object.fromEntries([...counts].map(([customer, keys]) => [customer, Object.fromEntries([...keys].map(([id, days]) => [id, Object.fromEntries([...days].sort())]))])),
  };
}

/** Writes a file whole or not at all: a reader never sees half of it. */
export function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const part = `${file}.${process.pid}.part`;
  writeFileSync(part, text, { mode: 0o600 });
  renameSync(part, file);
}

/** Requests of one customer's key on the days from `from` to `to` (YYYY-MM-DD, both included). */
export function requestsOf(counts: Counts, customer: string, keyId: string, from: string, to: string): number {
  let total = 0;
  for (const [day, n] of counts.get(customer)?.get(keyId) ?? []) if (day >= from && day <= to) total += n;
  return total;
}

/** Each day's requests of a customer, all its keys together. */
export function dailyRequests(counts: Counts, customer: string): Map<string, number> {
  const days = new Map<string, number>();
  for (const perDay of counts.get(customer)?.values() ?? []) for (const [day, n] of perDay) days.set(day, (days.get(day) ?? 0) + n);
  return days;
}

export class UsageStore {
  private readonly counts: Counts;

  constructor(private readonly file: string) {
    this.counts = readUsage(file);
  }

  /** One request of `customer`'s key `keyId` let through on `day`; written before it returns. */
  count(customer: string, keyId: string, day: string): void {
    const keys = this.counts.get(customer) ?? new Map<string, Map<string, number>>();
    const days = keys.get(keyId) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + 1);
    keys.set(keyId, days);
    this.counts.set(customer, keys);
    writeAtomically(this.file, `${JSON.stringify(serialize(this.counts))}\n`);
  }

  /** Requests of a key from `from` (YYYY-MM-DD) on: what its quota has used in the period that starts then. */
  usedSince(customer: string, keyId: string, from: string): number {
    return requestsOf(this.counts, customer, keyId, from, '9999-12-31');
  }
}
