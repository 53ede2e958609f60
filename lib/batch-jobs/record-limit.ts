import { RecordLimitExceeded } from '../errors';
import { bucketStore } from '../monitoring/store';
import { s3 } from '../s3';

/**
 * The daily record limit of batch jobs (README, "Batch scoring"): usage
 * plans count calls, and one call starts a job of millions of records, so
 * each plan also allows so many batch records per UTC day
 * (BATCH_RECORD_LIMITS, `<usage plan id>=<records>`, from serverless.yml's
 * `<plan>BatchRecordsPerDay` params).
 *
 * The ledger is one empty object per job in the batch bucket,
 * usage/<caller>/<day>/<job id>.<records>: a day's use is one listing, and
 * writing it is one PUT that no other job's can overwrite. The route refuses
 * a job once the day's use has reached the limit; the plan step, which counts
 * the job's records, refuses one that would pass it and only then writes its
 * entry. Two jobs planned at the same moment can both pass (each reads the
 * ledger before the other's entry is there): the limit holds to within one
 * job's records per concurrent start, stated rather than locked, as S3 has
 * no counter to increment.
 */

/** "planid1=100000,planid2=5" → Map; the setting's pattern (lib/settings.ts) already holds. */
export function parseRecordLimits(text: string | undefined): Map<string, number> {
  const limits = new Map<string, number>();
  for (const entry of (text ?? '').split(',')) {
    const [plan, records] = entry.split('=');
    if (plan && records) limits.set(plan, Number(records));
  }
  return limits;
}

/**
 * The caller's limit: the first of its key's usage plans (API Gateway's
 * GetUsagePlans by key id) that BATCH_RECORD_LIMITS names; 0 for a key on
 * none of them.
 */
export async function dailyRecordLimit(apiKeyId: string | undefined, limits: ReadonlyMap<string, number>): Promise<number> {
  if (apiKeyId === undefined || limits.size === 0) return 0;
  const { apiGateway } = await import('./aws');
  const { client, sdk } = await apiGateway();
  let position: string | undefined;
  do {
    const page = await client.send(new sdk.GetUsagePlansCommand({ keyId: apiKeyId, limit: 500, position }));
    for (const plan of page.items ?? []) if (plan.id !== undefined && limits.has(plan.id)) return limits.get(plan.id)!;
    position = page.position;
  } while (position);
  return 0;
}

/** The UTC day of a time, yyyy-mm-dd. */
export const dayOf = (time: Date): string => time.toISOString().slice(0, 10);

const dayPrefix = (owner: string, day: string) => `usage/${owner}/${day}/`;

/** Records the caller's jobs counted on `day`: the sum of the ledger's entries. */
export async function recordsUsed(bucket: string, owner: string, day: string): Promise<number> {
  const keys = await bucketStore(bucket).list(dayPrefix(owner, day));
  return keys.reduce((sum, key) => sum + (Number(/\.([0-9]+)$/.exec(key)?.[1]) || 0), 0);
}

/** The refusal, in the caller's numbers. */
export function limitExceeded(limit: number, used: number, records?: number): RecordLimitExceeded {
  const job = records === undefined ? '' : ` and this job holds ${records}`;
  return new RecordLimitExceeded(
    limit === 0
      ? "your key's usage plan allows no batch records"
      : `your plan may score ${limit} batch records a day (UTC); ${used} are used today${job}`,
  );
}

/** Counts a job's records against the day, or refuses it (RecordLimitExceeded; the plan answers it as the job's refusal) when they would take the caller past the limit. */
export async function chargeRecords(bucket: string, job: { id: string; owner: string; day: string; recordLimit: number }, records: number): Promise<void> {
  const used = await recordsUsed(bucket, job.owner, job.day);
  if (used + records > job.recordLimit) throw limitExceeded(job.recordLimit, used, records);
  const { client, sdk } = await s3();
  await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: `${dayPrefix(job.owner, job.day)}${job.id}.${records}`, Body: '' }));
}
