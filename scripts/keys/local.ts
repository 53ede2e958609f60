// `npm run keys` on the local stage: the customer keys file the local gateway
// reads (scripts/local-gateway/customer-keys.ts) and the usage counters it
// writes (usage-store.ts). Plans are the compiled local template's.
import path from 'node:path';
import { compiledTemplate } from '../local-gateway/compiled-template';
import {
  createCustomerKey,
  customerPlans,
  keysFolder,
  keyStatus,
  KEYS_FILE,
  localClock,
  readKeysFile,
  revokeCustomer,
  rotateCustomer,
  USAGE_FILE,
  writeKeysFile,
  type CustomerRecord,
  type Issued,
} from '../local-gateway/customer-keys';
import type { Plan } from '../local-gateway/gateway-spec';
import { periodStart } from '../local-gateway/usage-limits';
import { dailyRequests, readUsage, requestsOf } from '../local-gateway/usage-store';
import type { IssuedKey, KeysBackend, KeyState, ListedCustomer, Revocation, UsageReport } from './backend';
import { checkCustomer, dayOf, daysBetween, serviceName } from './naming';

const STAGE = 'local';

/** The environment `serverless package` runs in: without the functions' settings, as npm start compiles it (its cache is shared). */
function packagingEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  try {
    const { DOCUMENTED_SETTINGS } = require('../../lib/settings') as typeof import('../../lib/settings');
    const documented = new Set<string>(DOCUMENTED_SETTINGS);
    return Object.fromEntries(Object.entries(env).filter(([name]) => !documented.has(name)));
  } catch {
    return env;
  }
}

export class LocalKeys implements KeysBackend {
  readonly stage = STAGE;
  private readonly folder: string;
  private readonly now: () => number;
  private plans?: Map<string, Plan>;

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** The usage plans by short name; by default the compiled local template's (compiled on first use, some seconds). */
    plans?: Map<string, Plan>,
  ) {
    this.folder = keysFolder(root, env);
    this.now = localClock(env);
    this.plans = plans;
  }

  get where(): string {
    const file = path.join(this.folder, KEYS_FILE);
    return file.startsWith(`${this.root}${path.sep}`) ? path.relative(this.root, file) : file;
  }

  private get file(): string {
    return path.join(this.folder, KEYS_FILE);
  }

  private async templatePlans(): Promise<Map<string, Plan>> {
    if (!this.plans) {
      const compiled = await compiledTemplate(this.root, STAGE, [], packagingEnv(this.env));
      this.plans = customerPlans(compiled.template.Resources, serviceName(this.root), STAGE);
    }
    return this.plans;
  }

  private issued(result: Issued, retiring?: IssuedKey['retiring']): IssuedKey {
    const { customer, key, value } = result;
    return { customer: customer.customer, plan: customer.plan, key: value, keyId: key.id, apiKeyId: customer.id, stage: STAGE, created: key.created, ...(retiring ? { retiring } : {}) };
  }

  async create(customer: string, plan: string): Promise<IssuedKey> {
    checkCustomer(customer);
    const plans = await this.templatePlans();
    if (!plans.has(plan)) throw new Error(`no usage plan ${plan} on the ${STAGE} stage: the template has ${[...plans.keys()].join(', ')}`);
    const result = createCustomerKey(readKeysFile(this.file), customer, plan, this.now());
    writeKeysFile(this.file, result.data);
    return this.issued(result);
  }

  async list(): Promise<ListedCustomer[]> {
    const now = this.now();
    return readKeysFile(this.file).customers.map((c) => {
      const keys = c.keys.map((k) => ({ keyId: k.id, status: keyStatus(k, now), created: k.created, expires: k.expires }));
      return { customer: c.customer, plan: c.plan, status: overall(keys.map((k) => k.status)), keys };
    });
  }

  async revoke(customer: string): Promise<Revocation> {
    checkCustomer(customer);
    const { data, revoked } = revokeCustomer(readKeysFile(this.file), customer, this.now());
    writeKeysFile(this.file, data);
    return { stage: STAGE, customer, revoked: revoked.map((k) => k.id) };
  }

  async rotate(customer: string, graceMs: number): Promise<IssuedKey> {
    checkCustomer(customer);
    const result = rotateCustomer(readKeysFile(this.file), customer, graceMs, this.now());
    writeKeysFile(this.file, result.data);
    return this.issued(result, result.retiring.map((k) => ({ keyId: k.id, expires: k.expires! })));
  }

  async usage(customer: string, from?: string, to?: string): Promise<UsageReport> {
    checkCustomer(customer);
    const now = this.now();
    const record: CustomerRecord | undefined = readKeysFile(this.file).customers.find((c) => c.customer === customer);
    if (!record) throw new Error(`no customer ${customer} on this stage (npm run keys -- list shows them)`);
    const plan = (await this.templatePlans()).get(record.plan);
    const quota = plan?.quota ?? null;
    const range = { from: from ?? dayOf(periodStart('MONTH', now)), to: to ?? dayOf(now) };
    const counts = readUsage(path.join(this.folder, USAGE_FILE));
    const perDay = dailyRequests(counts, customer);
    const days = daysBetween(range.from, range.to).map((day) => ({ day, requests: perDay.get(day) ?? 0 }));
    const periodFrom = quota ? dayOf(periodStart(quota.period, now)) : '';
    const keys = record.keys.map((k) => {
      const status = keyStatus(k, now);
      const remaining = quota && status === 'active' ? Math.max(0, quota.limit - requestsOf(counts, customer, k.id, periodFrom, '9999-12-31')) : null;
      return { keyId: k.id, status, requests: requestsOf(counts, customer, k.id, range.from, range.to), remaining };
    });
    return { stage: STAGE, customer, plan: record.plan, quota, ...range, days, total: days.reduce((s, d) => s + d.requests, 0), keys };
  }
}

/** A customer is active while one of its keys works; otherwise revoked if one was revoked, else expired. */
export function overall(states: KeyState[]): KeyState {
  if (states.includes('active')) return 'active';
  return states.includes('revoked') ? 'revoked' : 'expired';
}
