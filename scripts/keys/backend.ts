// What each `npm run keys` command does, whatever the stage: the local
// stage's file (local.ts) or a deployed stage's API Gateway (aws.ts).
// main.ts prints the answers as text or JSON.

export type KeyState = 'active' | 'expired' | 'revoked';

/** A key that was just created: its value is in this answer and nowhere else. */
export interface IssuedKey {
  customer: string;
  plan: string;
  /** The value, for the x-api-key header. */
  key: string;
  keyId: string;
  /** What the functions see in requestContext.identity.apiKeyId for it: the customer's id locally, the key's own id on AWS. */
  apiKeyId: string;
  stage: string;
  created: string;
  /** rotate: the keys that keep working until `expires` (null: refused at once). */
  retiring?: { keyId: string; expires: string }[];
}

export interface ListedKey {
  keyId: string;
  status: KeyState;
  created: string;
  /** When it stops working (a rotated key), or null. */
  expires: string | null;
}

export interface ListedCustomer {
  customer: string;
  plan: string;
  /** active while one of its keys works. */
  status: KeyState;
  keys: ListedKey[];
}

export interface Revocation {
  stage: string;
  customer: string;
  /** The keys that worked and no longer do. */
  revoked: string[];
}

export interface UsageReport {
  stage: string;
  customer: string;
  plan: string;
  /** The plan's quota, which API Gateway counts per key. */
  quota: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' } | null;
  from: string;
  to: string;
  /** Every day from `from` to `to`: requests let through, all the customer's keys together. */
  days: { day: string; requests: number }[];
  total: number;
  /** Per key: its requests in the range, and what is left of its quota in the current period (null: not known, or the key no longer works). */
  keys: { keyId: string; status: KeyState; requests: number; remaining: number | null }[];
}

export interface KeysBackend {
  readonly stage: string;
  /** Where the keys are, for the output: a file, or API Gateway in a region. */
  readonly where: string;
  create(customer: string, plan: string): Promise<IssuedKey>;
  list(): Promise<ListedCustomer[]>;
  revoke(customer: string): Promise<Revocation>;
  rotate(customer: string, graceMs: number): Promise<IssuedKey>;
  /** `from`, `to`: YYYY-MM-DD, both included; by default the current quota month up to today (UTC). */
  usage(customer: string, from?: string, to?: string): Promise<UsageReport>;
}
