// A usage plan's limits for one key, as API Gateway describes them: a token
// bucket (`burstLimit` tokens, refilled at `rateLimit` per second) and a
// request quota per calendar period (UTC). Kept in memory: a restart of
// `npm start` starts every key with a full bucket and an unused quota.
import type { Plan } from './gateway-spec';

export type Verdict = 'ok' | 'THROTTLED' | 'QUOTA_EXCEEDED';

/** The start of the quota period that `now` falls in (UTC; weeks start on Monday). */
export function periodStart(period: 'DAY' | 'WEEK' | 'MONTH', now: number): number {
  const d = new Date(now);
  if (period === 'MONTH') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return period === 'DAY' ? day : day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
}

/** The start of the quota period after the one `now` falls in. */
export function periodEnd(period: 'DAY' | 'WEEK' | 'MONTH', now: number): number {
  const start = periodStart(period, now);
  if (period === 'MONTH') {
    const d = new Date(start);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return start + (period === 'DAY' ? 1 : 7) * 86_400_000;
}

export class UsageLimits {
  private tokens: number;
  private refilledAt: number;
  private used = 0;
  private period = -1;

  constructor(
    private readonly plan: Plan,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = plan.burstLimit;
    this.refilledAt = clock();
  }

  /**
   * Resumes the quota with `used` requests already counted in the period the
   * clock is in: the local gateway's customer keys, whose counts outlive a
   * restart (usage-store.ts).
   */
  resume(used: number): this {
    const quota = this.plan.quota;
    if (quota) [this.period, this.used] = [periodStart(quota.period, this.clock()), used];
    return this;
  }

  /** Takes one request's worth of the plan, or says which limit refuses it. */
  take(): Verdict {
    const now = this.clock();
    this.tokens = Math.min(this.plan.burstLimit, this.tokens + ((now - this.refilledAt) / 1000) * this.plan.rateLimit);
    this.refilledAt = now;
    if (this.tokens < 1) return 'THROTTLED';
    const quota = this.plan.quota;
    if (quota) {
      const start = periodStart(quota.period, now);
      if (start !== this.period) [this.period, this.used] = [start, 0];
      if (this.used >= quota.limit) return 'QUOTA_EXCEEDED';
      this.used += 1;
    }
    this.tokens -= 1;
    return 'ok';
  }

  /**
   * Whole seconds until the limit that refused a request lets one through
   * (Retry-After): the bucket's next token, or the next quota period.
   */
  retryAfter(verdict: 'THROTTLED' | 'QUOTA_EXCEEDED'): number {
    const now = this.clock();
    if (verdict === 'QUOTA_EXCEEDED' && this.plan.quota) return Math.max(1, Math.ceil((periodEnd(this.plan.quota.period, now) - now) / 1000));
    const tokens = Math.min(this.plan.burstLimit, this.tokens + ((now - this.refilledAt) / 1000) * this.plan.rateLimit);
    return Math.max(1, Math.ceil((1 - tokens) / this.plan.rateLimit));
  }
}
