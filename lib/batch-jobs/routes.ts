import { randomUUID } from 'node:crypto';
import { assertTakesPictures, resolveTarget } from '../batch';
import { describe } from '../dataplane/describe';
import { BatchJobsUnavailable, NotFound, UnsupportedMediaType } from '../errors';
import { kindOf } from '../kinds';
import type { ServedFacts } from '../observability/request-facts';
import { settings } from '../settings';
import { shorten } from '../shorten';
import { stepFunctions } from './aws';
import { executionArn, jobFiles, UUID, type Job, type Summary } from './job';
import { jobRequest } from './job-request';
import { parsePrefixes, s3Url, type S3Location } from './locations';
import { dailyRecordLimit, dayOf, limitExceeded, parseRecordLimits, recordsUsed } from './record-limit';

/**
 * The batch-job routes (README, "Batch scoring"): POST starts an execution
 * of the batch state machine (resources/batch.js) named by a new job id,
 * GET describes it. A job belongs to the caller that started it: another
 * caller's GET is the same 404 as a job that does not exist.
 */

/** Who calls: lib/caller.ts's id (the customer's, or the key's), and API Gateway's id of the key, for its usage plan. */
export interface BatchCaller {
  owner: string | undefined;
  apiKeyId: string | undefined;
}

export interface BatchAnswer {
  statusCode: number;
  body: Record<string, unknown>;
  facts: ServedFacts;
}

function configured<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new BatchJobsUnavailable(`batch jobs need a deployed stage: this one has no ${what}`);
  return value;
}

/** A job as both routes answer it; `execution` adds what Step Functions reports. */
function jobView(job: Job, status: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  const files = jobFiles(job);
  return {
    id: job.id,
    model: job.model,
    status,
    format: job.format,
    input: s3Url(job.input),
    output: s3Url(files.scores),
    folder: s3Url(job.output),
    ...more,
  };
}

/** POST /models/{name}/batch-jobs: checks the body, the model and the caller's allowance, then starts the execution (202). */
export async function startBatchJob(name: string, body: unknown, caller: BatchCaller, now = new Date()): Promise<BatchAnswer> {
  const prefixes = configured(parsePrefixes(settings.batchPrefixes() ?? ''), 'batch prefixes (BATCH_PREFIXES)');
  const request = jobRequest(body, prefixes);
  // One version for the whole job, named now: a label's, or the one the split serves most (404 for an unknown model, version or label).
  const target = resolveTarget({ name, ...(request.version ? { version: request.version } : {}), ...(request.label ? { label: request.label } : {}) });
  const { manifest, facts } = describe(target.name, target.version);
  if (request.source === 'images') {
    // The route's own 415 for a model that takes no pictures, before anything is read.
    assertTakesPictures({ manifest });
  } else if (!kindOf(manifest).records) {
    throw new UnsupportedMediaType(
      `the ${manifest.name} model takes tensors or files, not records: batch jobs read CSV and JSON lines of records, or a prefix of pictures (an input ending in "/") for an image model`,
    );
  }
  const stateMachineArn = configured(settings.batchStateMachineArn(), 'batch state machine (BATCH_STATE_MACHINE_ARN)');
  const bucket = configured(settings.batchBucket(), 'batch bucket (BATCH_BUCKET)');

  const limit = caller.owner === undefined ? 0 : await dailyRecordLimit(caller.apiKeyId, parseRecordLimits(settings.batchRecordLimits()));
  const day = dayOf(now);
  const used = limit === 0 ? 0 : await recordsUsed(bucket, caller.owner!, day);
  if (limit === 0 || used >= limit) throw limitExceeded(limit, used);

  const id = randomUUID();
  const output: S3Location = { bucket: request.output.bucket, key: `${request.output.key}${id}/` };
  const job: Job = {
    id,
    owner: caller.owner!,
    model: { name: target.name, version: target.version, ...(request.label ? { label: request.label } : {}) },
    input: request.input,
    ...(request.source ? { source: request.source } : {}),
    output,
    format: request.format,
    recordLimit: limit,
    day,
  };
  const { client, sdk } = await stepFunctions();
  const started = await client.send(new sdk.StartExecutionCommand({ stateMachineArn, name: id, input: JSON.stringify({ job }) }));
  return {
    statusCode: 202,
    body: jobView(job, 'running', { started: (started.startDate ?? now).toISOString(), records_left_today: limit - used }),
    facts,
  };
}

/** A failed execution's error, as the step's error type and the message it gave (Lambda's cause is {errorType, errorMessage, trace}). */
function failure(error: string | undefined, cause: string | undefined): { code: string; message: string } {
  let message = cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Step Functions' own causes are plain text.
  }
  return { code: error ?? 'unknown', message: shorten(message, 500) };
}

/** GET /models/{name}/batch-jobs/{id}: the caller's own job, with its status and, once done, its counts. */
export async function describeBatchJob(name: string, id: string, caller: BatchCaller): Promise<BatchAnswer> {
  const { facts } = describe(name);
  const stateMachineArn = configured(settings.batchStateMachineArn(), 'batch state machine (BATCH_STATE_MACHINE_ARN)');
  const missing = new NotFound(`no batch job ${shorten(id)} of model ${name} started with your key`);
  if (!UUID.test(id)) throw missing;
  const { client, sdk } = await stepFunctions();
  let execution;
  try {
    execution = await client.send(new sdk.DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, id) }));
  } catch (error) {
    if ((error as { name?: string }).name === 'ExecutionDoesNotExist') throw missing;
    throw error;
  }
  const job = (JSON.parse(execution.input ?? '{}') as { job?: Job }).job;
  if (job === undefined || caller.owner === undefined || job.owner !== caller.owner || job.model.name !== facts.model) throw missing;

  const status = String(execution.status ?? 'RUNNING').toLowerCase();
  const times = { started: execution.startDate?.toISOString(), ...(execution.stopDate ? { stopped: execution.stopDate.toISOString() } : {}) };
  if (execution.status === 'SUCCEEDED') {
    const summary = JSON.parse(execution.output ?? '{}') as Summary;
    return {
      statusCode: 200,
      body: jobView(job, status, {
        ...times,
        records: summary.records,
        scored: summary.scored,
        errors: summary.errors,
        errors_by_code: summary.errorsByCode,
        failed_ranges: summary.failedRanges,
        ...(summary.skipped ? { skipped: summary.skipped } : {}),
        summary: s3Url(jobFiles(job).summary),
      }),
      facts,
    };
  }
  const failed = execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED';
  return { statusCode: 200, body: jobView(job, status, { ...times, ...(failed ? { error: failure(execution.error, execution.cause) } : {}) }), facts };
}
