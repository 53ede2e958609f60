// Customer keys of the local stage (README, "Access"): data, not code. `npm
// run keys` writes them to <keys folder>/customer-keys.json (local-keys/ by
// default, LOCAL_KEYS_DIR to move it; gitignored), and the local gateway
// accepts them beside the template's keys, each with its plan's throttle and
// quota from the template's usage plans. The gateway looks at the file at
// every request that presents a key the template does not have, so a key
// created, revoked or rotated works (or stops working) from the next request,
// with no restart.
//
// The file holds no key value, only each value's SHA-256: the value is
// printed once, by `create` or `rotate`. Every key of a customer reaches the
// functions with the customer's own id in requestContext.identity.apiKeyId,
// so its sticky traffic bucket (lib/rollout/route.ts) and its feedback join
// follow the customer across rotations.
import { isPlainObject } from '../../lib/plain-object';
import { sha256Hex } from '../../lib/sha256';
import { customerKeyValue } from '../../lib/caller';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkCustomer, dayOf, parseDuration, shortPlanName } from '../keys/naming';
import { localKeyId, plans as templatePlans, type ApiKey, type Plan } from './gateway-spec';
import { periodStart, UsageLimits } from './usage-limits';
import { UsageStore, writeAtomically } from './usage-store';

export const KEYS_FILE = 'customer-keys.json';
export const USAGE_FILE = 'usage.json';

/** Where the local stage's customer keys and usage counters are kept: LOCAL_KEYS_DIR, else local-keys/ at the project's root. */
export function keysFolder(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCAL_KEYS_DIR ? path.resolve(env.LOCAL_KEYS_DIR) : path.join(root, 'local-keys');
}

/**
 * The local stage's clock for customer keys (expiry, quota periods, usage
 * days): the real one, or — for tests, so that a rotation's grace can end
 * without waiting for it — the real one moved on by the duration written in
 * the file LOCAL_GATEWAY_TIME_SHIFT_FILE names ("25h", "90000000ms"),
 * re-read whenever the file changes. `npm run keys` on the local stage reads
 * the same variable, so both agree on "now". No deployed stage reads it.
 */
export function localClock(env: NodeJS.ProcessEnv = process.env): () => number {
  const file = env.LOCAL_GATEWAY_TIME_SHIFT_FILE;
  if (!file) return Date.now;
  let stamp: string | undefined;
  let shift = 0;
  return () => {
    const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
    const seen = stat ? `${stat.ino}:${stat.mtimeNs}:${stat.size}` : '';
    if (seen !== stamp) {
      stamp = seen;
      try {
        shift = stat ? parseDuration(readFileSync(file, 'utf8').trim() || '0') : 0;
      } catch {
        // A file being written, or not a duration: the shift stays as it was.
      }
    }
    return Date.now() + shift;
  };
}

export interface KeyRecord {
  /** The key's own id (list, usage and rotation name it); never its value. */
  id: string;
  /** SHA-256 of the value, hex. */
  sha256: string;
  created: string;
  /** When the key stops working (a rotated key's grace end), or null. */
  expires: string | null;
  /** When it was revoked. */
  revoked?: string;
}

export interface CustomerRecord {
  customer: string;
  /** What the gateway puts in requestContext.identity.apiKeyId for every key of the customer. */
  id: string;
  /** A usage plan of the template, by its short name (free, pro). */
  plan: string;
  created: string;
  keys: KeyRecord[];
}

export interface KeysFile {
  version: 1;
  customers: CustomerRecord[];
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export function keyStatus(key: KeyRecord, now: number): KeyStatus {
  if (key.revoked !== undefined) return 'revoked';
  return key.expires !== null && Date.parse(key.expires) <= now ? 'expired' : 'active';
}


const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random letters and digits (API Gateway generates 40 of them for a value). */
export function randomSecret(length = 32): string {
  let value = '';
  while (value.length < length) {
    // 248 = 62 * 4: bytes above it would favour some characters.
    for (const byte of randomBytes(48)) if (byte < 248 && value.length < length) value += ALPHANUMERIC[byte % 62];
  }
  return value;
}

/** A customer's key value, carrying its customer's id as every stage's keys do (lib/caller.ts). */
export const newKeyValue = (customer: string): string => customerKeyValue(customerKeyId(customer), randomSecret());

/** 10 lower-case letters and digits, as API Gateway's key ids. */
export function newKeyId(): string {
  let id = '';
  for (const byte of randomBytes(20)) if (byte < 252 && id.length < 10) id += '0123456789abcdefghijklmnopqrstuvwxyz'[byte % 36];
  return id.length === 10 ? id : newKeyId();
}

/** The id every key of `customer` carries as apiKeyId: derived from the customer id, so it stays the same whatever happens to its keys (or to the file). */
export const customerKeyId = (customer: string) => localKeyId(`customer:${customer}`);

const isTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** The file's customers; an empty list when it does not exist. A malformed file is an error that names what is wrong. */
export function readKeysFile(file: string): KeysFile {
  if (!existsSync(file)) return { version: 1, customers: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(data) || data.version !== 1 || !Array.isArray(data.customers)) throw new Error(`${file}: not a customer keys file (version 1)`);
  const seen = new Set<string>();
  for (const [i, c] of (data.customers as unknown[]).entries()) {
    const where = `${file}: customers[${i}]`;
    if (!isPlainObject(c) || typeof c.customer !== 'string' || typeof c.id !== 'string' || typeof c.plan !== 'string' || !isTime(c.created) || !Array.isArray(c.keys)) {
      throw new Error(`${where}: expected {customer, id, plan, created, keys}`);
    }
    checkCustomer(c.customer);
    if (seen.has(c.customer)) throw new Error(`${where}: customer ${c.customer} is listed twice`);
    seen.add(c.customer);
    for (const [j, k] of (c.keys as unknown[]).entries()) {
      const ok = isPlainObject(k) && typeof k.id === 'string' && typeof k.sha256 === 'string' && /^[0-9a-f]{64}$/.test(k.sha256) && isTime(k.created) && (k.expires === null || isTime(k.expires)) && (k.revoked === undefined || isTime(k.revoked));
      if (!ok) throw new Error(`${where}.keys[${j}]: expected {id, sha256, created, expires, revoked?}`);
    }
  }
  return data as unknown as KeysFile;
}

export function writeKeysFile(file: string, data: KeysFile): void {
  writeAtomically(file, `${JSON.stringify(data, null, 2)}\n`);
}

const find = (data: KeysFile, customer: string) => data.customers.find((c) => c.customer === customer);

function known(data: KeysFile, customer: string): CustomerRecord {
  const record = find(data, customer);
  if (!record) throw new Error(`no customer ${customer} on this stage (npm run keys -- list shows them)`);
  return record;
}

export interface Issued {
  data: KeysFile;
  customer: CustomerRecord;
  key: KeyRecord;
  /** The new key's value: printed once, never stored. */
  value: string;
}

function issue(customer: string, now: number): { key: KeyRecord; value: string } {
  const value = newKeyValue(customer);
  return { value, key: { id: newKeyId(), sha256: sha256Hex(value), created: new Date(now).toISOString(), expires: null } };
}

/**
 * A key for a customer on `plan`. A customer who still has a working key is
 * refused (rotate it instead); a customer whose keys were all revoked or
 * expired gets a new one, on `plan`, with the same apiKeyId as before.
 */
export function createCustomerKey(current: KeysFile, customer: string, plan: string, now: number): Issued {
  checkCustomer(customer);
  const data = structuredClone(current);
  const { key, value } = issue(customer, now);
  let record = find(data, customer);
  if (record) {
    const working = record.keys.filter((k) => keyStatus(k, now) === 'active');
    if (working.length > 0) throw new Error(`customer ${customer} already has a working key (${working.map((k) => k.id).join(', ')}): rotate it (npm run keys -- rotate ${customer}) or revoke it first`);
    record.plan = plan;
    record.keys.push(key);
  } else {
    record = { customer, id: customerKeyId(customer), plan, created: key.created, keys: [key] };
    data.customers.push(record);
  }
  return { data, customer: record, key, value };
}

/** Every key of the customer refused from now on; `revoked`: the keys that still worked. */
export function revokeCustomer(current: KeysFile, customer: string, now: number): { data: KeysFile; revoked: KeyRecord[] } {
  const data = structuredClone(current);
  const record = known(data, customer);
  const revoked = record.keys.filter((k) => keyStatus(k, now) === 'active');
  for (const key of record.keys) key.revoked ??= new Date(now).toISOString();
  return { data, revoked };
}

/**
 * A new key for the customer, on its plan; each key that still works keeps
 * working until `graceMs` from now (0: refused at once), or until its own
 * earlier end.
 */
export function rotateCustomer(current: KeysFile, customer: string, graceMs: number, now: number): Issued & { retiring: KeyRecord[] } {
  const data = structuredClone(current);
  const record = known(data, customer);
  const retiring = record.keys.filter((k) => keyStatus(k, now) === 'active');
  if (retiring.length === 0) throw new Error(`customer ${customer} has no working key to rotate: npm run keys -- create --customer ${customer} --plan ${record.plan}`);
  const end = now + graceMs;
  for (const key of retiring) if (key.expires === null || Date.parse(key.expires) > end) key.expires = new Date(end).toISOString();
  const { key, value } = issue(customer, now);
  record.keys.push(key);
  return { data, customer: record, key, value, retiring };
}

/**
 * The template's usage plans by short name (free, pro): the plans a customer
 * key may be on, with their throttles and quotas. The template stays their
 * one source.
 */
export function customerPlans(resources: Parameters<typeof templatePlans>[0], service: string, stage: string): Map<string, Plan> {
  const byName = new Map<string, Plan>();
  for (const plan of templatePlans(resources).values()) {
    const short = shortPlanName(plan.name, service, stage);
    if (short !== undefined) byName.set(short, plan);
  }
  return byName;
}

/** What the gateway needs of a key it accepted: LocalGateway's `moreKeys` answer. */
export interface AcceptedKey {
  key: ApiKey;
  limits: UsageLimits;
  /** The request was let through: counted in the usage file. */
  counted(): void;
}

interface Indexed {
  record: CustomerRecord;
  key: KeyRecord;
}

/**
 * The gateway's view of the file: re-read when it changed (its inode, size
 * or modification time), which is checked at each lookup — a stat, some
 * microseconds, and only for keys the template does not have. A file that
 * cannot be read leaves the keys read before in force, and says so once.
 */
export class CustomerKeys {
  private stamp: string | undefined;
  private byHash = new Map<string, Indexed>();
  private count = 0;
  /** Each key's token bucket and quota, by key id: they survive re-reads of the file. */
  private readonly limits = new Map<string, { plan: Plan; limits: UsageLimits }>();
  private readonly warned = new Set<string>();
  private readonly usage: UsageStore;

  constructor(
    private readonly options: {
      folder: string;
      plans: Map<string, Plan>;
      clock?: () => number;
      log?: (line: string) => void;
    },
  ) {
    this.usage = new UsageStore(path.join(options.folder, USAGE_FILE));
  }

  get file(): string {
    return path.join(this.options.folder, KEYS_FILE);
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private warn(line: string): void {
    if (this.warned.has(line)) return;
    this.warned.add(line);
    this.options.log?.(`local gateway: ${line}`);
  }

  /** The customers the file has now. */
  customers(): number {
    this.refresh();
    return this.count;
  }

  private refresh(): void {
    const stat = statSync(this.file, { bigint: true, throwIfNoEntry: false });
    const seen = stat ? `${stat.ino}:${stat.mtimeNs}:${stat.size}` : 'none';
    if (seen === this.stamp) return;
    let data: KeysFile;
    try {
      data = readKeysFile(this.file);
    } catch (error) {
      // Half-written files cannot happen (writes are atomic): this is a hand edit. Retried at its next change.
      this.stamp = seen;
      return this.warn(`${(error as Error).message}; keeping the ${this.count} customers read before`);
    }
    this.stamp = seen;
    this.byHash = new Map(data.customers.flatMap((record) => record.keys.map((key) => [key.sha256, { record, key }] as const)));
    this.count = data.customers.length;
  }

  /** The customer key with this value, if it works now. */
  find(value: string): AcceptedKey | undefined {
    this.refresh();
    const found = this.byHash.get(sha256Hex(value));
    if (!found) return undefined;
    const { record, key } = found;
    if (keyStatus(key, this.now()) !== 'active') return undefined;
    const plan = this.options.plans.get(record.plan);
    if (!plan) {
      this.warn(`${this.file}: customer ${record.customer} is on plan ${record.plan}, which the template does not have (${[...this.options.plans.keys()].join(', ')}): its keys are refused`);
      return undefined;
    }
    let entry = this.limits.get(key.id);
    if (!entry || entry.plan !== plan) {
      const limits = new UsageLimits(plan, () => this.now());
      // The quota resumes from the counts on disk: a restart does not give the key a fresh one.
      if (plan.quota) limits.resume(this.usage.usedSince(record.customer, key.id, dayOf(periodStart(plan.quota.period, this.now()))));
      entry = { plan, limits };
      this.limits.set(key.id, entry);
    }
    return {
      key: { id: record.id, name: `customer ${record.customer}`, value, plan },
      limits: entry.limits,
      counted: () => this.usage.count(record.customer, key.id, dayOf(this.now())),
    };
  }
}
