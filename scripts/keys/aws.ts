// `npm run keys` on a deployed stage: API Gateway's management API through
// the AWS SDK (README, "Access"). Nothing is deployed and the template is not
// touched: customer keys live beside the template's own keys, on the stage's
// usage plans, which are found by the name the Serverless Framework gives
// them (<service>-<plan>-<stage>).
//
// Each customer key is named <service>-<stage>-customer-<customer> (all of a
// customer's keys, rotated ones too) and tagged customer=<id> and
// plan=<plan>; a rotated key that keeps working for a grace period is tagged
// expires-at=<ISO time>, which the key-expiry function
// (handlers/key-expiry.ts) reads to disable it once that time has passed.
// Keys are listed with includeValues=false: only CreateApiKey's answer ever
// carries a value, and it is printed once.
import { customerKeyValue } from '../../lib/caller';
import { customerKeyId, randomSecret } from '../local-gateway/customer-keys';
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlansCommand,
  TagResourceCommand,
  UpdateApiKeyCommand,
  type APIGatewayClient,
  type ApiKey,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import type { IssuedKey, KeysBackend, KeyState, ListedCustomer, Revocation, UsageReport } from './backend';
import { overall } from './local';
import { checkCustomer, CUSTOMER_TAG, customerKeyName, customerKeyPrefix, dayOf, daysBetween, EXPIRES_TAG, PLAN_TAG, shortPlanName, usagePlanName } from './naming';

/** GetApiKeys and GetUsagePlans answer at most 500 items a page. */
const PAGE = 500;

/** The partition of a region's ARNs. */
export const partitionOf = (region: string) => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
/** An API key's ARN, as TagResource takes it. */
export const apiKeyArn = (region: string, id: string) => `arn:${partitionOf(region)}:apigateway:${region}::/apikeys/${id}`;

/** A key's state on API Gateway: enabled is active; disabled after its expires-at tag is expired; disabled otherwise is revoked. */
export function awsKeyState(key: ApiKey, now: number): KeyState {
  if (key.enabled) return 'active';
  const expires = key.tags?.[EXPIRES_TAG];
  return expires !== undefined && Date.parse(expires) <= now ? 'expired' : 'revoked';
}

const byCreation = (a: ApiKey, b: ApiKey) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0);

export class AwsKeys implements KeysBackend {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly service: string,
    readonly stage: string,
    private readonly now: () => number = Date.now,
  ) {}

  get where(): string {
    return `API Gateway, keys named ${customerKeyPrefix(this.service, this.stage)}<customer>`;
  }

  private async region(): Promise<string> {
    return this.client.config.region();
  }

  private async usagePlans(): Promise<UsagePlan[]> {
    const plans: UsagePlan[] = [];
    let position: string | undefined;
    do {
      const page = await this.client.send(new GetUsagePlansCommand({ limit: PAGE, position }));
      plans.push(...(page.items ?? []));
      position = page.position;
    } while (position);
    return plans;
  }

  /** The stage's usage plan named <service>-<plan>-<stage>. */
  private async plan(plan: string): Promise<UsagePlan & { id: string }> {
    const plans = await this.usagePlans();
    const found = plans.find((p) => p.name === usagePlanName(this.service, plan, this.stage));
    if (!found?.id) {
      const names = plans.map((p) => p.name && shortPlanName(p.name, this.service, this.stage)).filter(Boolean);
      throw new Error(`no usage plan ${usagePlanName(this.service, plan, this.stage)} on API Gateway: stage ${this.stage} has ${names.join(', ') || 'none (is it deployed, in this region?)'}`);
    }
    return found as UsagePlan & { id: string };
  }

  /** The keys of one customer (by their exact name), or of every customer of the stage; never their values. */
  private async keys(customer?: string): Promise<ApiKey[]> {
    const query = customer === undefined ? customerKeyPrefix(this.service, this.stage) : customerKeyName(this.service, this.stage, customer);
    const keys: ApiKey[] = [];
    let position: string | undefined;
    do {
      const page = await this.client.send(new GetApiKeysCommand({ nameQuery: query, includeValues: false, limit: PAGE, position }));
      keys.push(...(page.items ?? []));
      position = page.position;
    } while (position);
    // nameQuery matches the start of a name: keep exactly this customer's, or the stage's customers' keys.
    return keys
      .filter((k) => (customer === undefined ? k.name?.startsWith(query) && k.tags?.[CUSTOMER_TAG] !== undefined : k.name === query))
      .map(({ value: _never, ...key }) => key)
      .sort(byCreation);
  }

  private async customerKeys(customer: string): Promise<ApiKey[]> {
    const keys = await this.keys(customer);
    if (keys.length === 0) throw new Error(`no customer ${customer} on stage ${this.stage} (npm run keys -- list --stage ${this.stage} shows them)`);
    return keys;
  }

  /** CreateApiKey, then CreateUsagePlanKey on the plan; a key the plan refuses is deleted rather than left behind. */
  private async issue(customer: string, plan: string): Promise<IssuedKey> {
    const { id: usagePlanId } = await this.plan(plan);
    const created = await this.client.send(
      new CreateApiKeyCommand({
        name: customerKeyName(this.service, this.stage, customer),
        description: `Customer ${customer}, plan ${plan} (npm run keys)`,
        enabled: true,
        // Our value, not API Gateway's: it carries the customer's id, which the functions read for a sticky split and feedback (lib/caller.ts).
        value: customerKeyValue(customerKeyId(customer), randomSecret()),
        tags: { [CUSTOMER_TAG]: customer, [PLAN_TAG]: plan },
      }),
    );
    if (!created.id || !created.value) throw new Error('API Gateway created a key but did not answer its id and value');
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: created.id, keyType: 'API_KEY' }));
    } catch (error) {
      await this.client.send(new DeleteApiKeyCommand({ apiKey: created.id }));
      throw error;
    }
    return { customer, plan, key: created.value, keyId: created.id, apiKeyId: customerKeyId(customer), stage: this.stage, created: (created.createdDate ?? new Date(this.now())).toISOString() };
  }

  async create(customer: string, plan: string): Promise<IssuedKey> {
    checkCustomer(customer);
    const working = (await this.keys(customer)).filter((k) => k.enabled);
    if (working.length > 0) throw new Error(`customer ${customer} already has a working key (${working.map((k) => k.id).join(', ')}): rotate it (npm run keys -- rotate ${customer} --stage ${this.stage}) or revoke it first`);
    return this.issue(customer, plan);
  }

  async list(): Promise<ListedCustomer[]> {
    const now = this.now();
    const customers = new Map<string, ApiKey[]>();
    for (const key of await this.keys()) {
      const customer = key.tags![CUSTOMER_TAG]!;
      customers.set(customer, [...(customers.get(customer) ?? []), key]);
    }
    return [...customers].sort(([a], [b]) => a.localeCompare(b)).map(([customer, keys]) => {
      const listed = keys.map((k) => ({ keyId: k.id!, status: awsKeyState(k, now), created: k.createdDate?.toISOString() ?? '', expires: k.tags?.[EXPIRES_TAG] ?? null }));
      return { customer, plan: keys.at(-1)!.tags?.[PLAN_TAG] ?? '?', status: overall(listed.map((k) => k.status)), keys: listed };
    });
  }

  private disable(keyId: string) {
    return this.client.send(new UpdateApiKeyCommand({ apiKey: keyId, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }));
  }

  async revoke(customer: string): Promise<Revocation> {
    checkCustomer(customer);
    const working = (await this.customerKeys(customer)).filter((k) => k.enabled);
    for (const key of working) await this.disable(key.id!);
    return { stage: this.stage, customer, revoked: working.map((k) => k.id!) };
  }

  async rotate(customer: string, graceMs: number): Promise<IssuedKey> {
    checkCustomer(customer);
    const working = (await this.customerKeys(customer)).filter((k) => k.enabled);
    if (working.length === 0) throw new Error(`customer ${customer} has no working key to rotate: npm run keys -- create --customer ${customer} --plan <plan> --stage ${this.stage}`);
    const plan = working.at(-1)!.tags?.[PLAN_TAG];
    if (!plan) throw new Error(`key ${working.at(-1)!.id} of customer ${customer} has no ${PLAN_TAG} tag: it was not created by npm run keys`);
    // The new key first: the customer is never without one.
    const issued = await this.issue(customer, plan);
    const end = this.now() + graceMs;
    const region = await this.region();
    const retiring: { keyId: string; expires: string }[] = [];
    for (const key of working) {
      const own = key.tags?.[EXPIRES_TAG];
      const expires = own !== undefined && Date.parse(own) <= end ? own : new Date(end).toISOString();
      if (graceMs === 0) await this.disable(key.id!);
      else if (expires !== own) await this.client.send(new TagResourceCommand({ resourceArn: apiKeyArn(region, key.id!), tags: { [EXPIRES_TAG]: expires } }));
      retiring.push({ keyId: key.id!, expires });
    }
    return { ...issued, retiring };
  }

  async usage(customer: string, from?: string, to?: string): Promise<UsageReport> {
    checkCustomer(customer);
    const now = this.now();
    const keys = await this.customerKeys(customer);
    const planName = keys.at(-1)!.tags?.[PLAN_TAG];
    if (!planName) throw new Error(`key ${keys.at(-1)!.id} of customer ${customer} has no ${PLAN_TAG} tag: it was not created by npm run keys`);
    const plan = await this.plan(planName);
    const today = new Date(now);
    const range = { from: from ?? dayOf(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1)), to: to ?? dayOf(now) };
    const dayList = daysBetween(range.from, range.to);
    const perDay = new Map<string, number>();
    const perKey: UsageReport['keys'] = [];
    for (const key of keys) {
      // One [used, remaining] pair per day from startDate; pages by position.
      const pairs: number[][] = [];
      let position: string | undefined;
      do {
        const page = await this.client.send(new GetUsageCommand({ usagePlanId: plan.id, keyId: key.id, startDate: range.from, endDate: range.to, position }));
        pairs.push(...(page.items?.[key.id!] ?? []));
        position = page.position;
      } while (position);
      pairs.forEach(([used = 0], i) => {
        const day = dayList[i];
        if (day !== undefined) perDay.set(day, (perDay.get(day) ?? 0) + used);
      });
      const status = awsKeyState(key, now);
      const last = pairs.at(-1);
      perKey.push({ keyId: key.id!, status, requests: pairs.reduce((s, [used = 0]) => s + used, 0), remaining: status === 'active' && last?.[1] !== undefined ? last[1] : null });
    }
    const days = dayList.map((day) => ({ day, requests: perDay.get(day) ?? 0 }));
    const quota = plan.quota?.limit !== undefined && plan.quota.period ? { limit: plan.quota.limit, period: plan.quota.period as 'DAY' | 'WEEK' | 'MONTH' } : null;
    return { stage: this.stage, customer, plan: planName, quota, ...range, days, total: days.reduce((s, d) => s + d.requests, 0), keys: perKey };
  }
}
