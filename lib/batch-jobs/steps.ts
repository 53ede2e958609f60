import { fileRecords, parseCsvHeader, rowWriter, scoreStream, type RowWriter } from '../batch';
import { describe } from '../dataplane/describe';
import { InvalidCsv, ServiceError } from '../errors';
import { s3 } from '../s3';
import { settings } from '../settings';
import { jobFiles, type Job, type Plan, type Range, type RangeResult, type Skipped, type Summary } from './job';
import type { S3Location } from './locations';
import { read, readText, write } from './objects';
import { planPictures, scorePictures } from './pictures';
import { chargeRecords } from './record-limit';

/**
 * The batch state machine's steps (resources/batch.js; README, "Batch
 * scoring"), one function for the three, as each event says:
 *
 * - plan: reads the input once, cutting it into ranges of about
 *   BATCH_RANGE_BYTES that start and end on row boundaries (lib/batch's
 *   records: a quoted CSV value may hold line breaks), or lists a prefix of
 *   pictures into ranges of its listing (./pictures.ts), counts the records
 *   against the caller's daily limit, writes ranges.json for the
 *   Distributed Map's ItemReader; or answers {refused} (planOrRefuse).
 * - score: one batch of ranges as ItemBatcher hands it over ({job, header,
 *   ranges: [{range, start, end, line, rows}]}): each range read from S3 by
 *   a Range GET (never from the state), scored by lib/batch's scoreRows
 *   (a prefix's pictures: its scoreImages, each picture read from S3),
 *   written as parts/<range>.<format> without a header.
 * - finish: the counts from the ResultWriter's files; the header and then
 *   every part in range order, concatenated into scores.<format> by a
 *   multipart upload (so the output is in the input's order whatever order
 *   the runs finished in); summary.json.
 */
export type StepEvent =
  | { step: 'plan'; job: Job }
  | { step: 'score'; job: Job; header: string[] | null; ranges: Range[] }
  | { step: 'finish'; job: Job; plan: Plan; results: { Bucket: string; Key: string } };

const CONTENT_TYPE = { csv: 'text/csv; charset=utf-8', jsonl: 'application/x-ndjson' } as const;

/** The writer of the job's output: the columns of the job's model version, keyed by line (a file's rows) or by file (a prefix's pictures). */
const writerOf = (job: Job): RowWriter => rowWriter(job.format, describe(job.model.name, job.model.version).manifest, job.source === 'images' ? 'file' : 'line');

/** The ranges of a file of records, cut on row boundaries, and its header. */
async function planRecords(job: Job, rangeBytes: number): Promise<{ header: string[] | null; ranges: Range[]; records: number }> {
  const object = await read(job.input);
  const size = object.ContentLength ?? 0;
  const csv = job.format === 'csv';
  let header: string[] | null = null;
  const ranges: Range[] = [];
  let current: Range | undefined;
  let records = 0;
  for await (const chunk of fileRecords(object.Body as AsyncIterable<Buffer>, csv)) {
    for (const record of chunk) {
      if (csv && header === null) {
        // As lib/batch's csvRows reads a header: none can be read past a quote it leaves open.
        if (record.open || record.tooLong) throw new InvalidCsv(`the CSV file's header opens a quote that is never closed (line ${record.line})`);
        header = parseCsvHeader(record.text);
        continue;
      }
      if (current === undefined || record.offset - current.start >= rangeBytes) {
        if (current) ranges.push({ ...current, end: record.offset });
        current = { range: ranges.length, start: record.offset, end: size, line: record.line, rows: 0 };
      }
      current.rows += 1;
      records += 1;
    }
  }
  if (current) ranges.push({ ...current, end: size });
  if (csv && header === null) throw new InvalidCsv('the CSV file is empty; it needs a header row, then one row per record');
  return { header, ranges, records };
}

export async function plan(job: Job, rangeBytes = settings.batchRangeBytes()): Promise<Plan> {
  const planned: { header: string[] | null; ranges: Range[]; records: number; skipped?: Skipped } =
    job.source === 'images' ? { header: null, ...(await planPictures(job, rangeBytes)) } : await planRecords(job, rangeBytes);
  const bucket = settings.batchBucket();
  if (bucket === undefined) throw new Error('BATCH_BUCKET is not set: the daily record limit has no ledger');
  await chargeRecords(bucket, job, planned.records);
  const files = jobFiles(job);
  await write(files.ranges, JSON.stringify(planned.ranges), 'application/json');
  return {
    header: planned.header,
    ranges: files.ranges,
    rangeCount: planned.ranges.length,
    records: planned.records,
    results: { bucket: files.results.bucket, prefix: files.results.key },
    ...(planned.skipped ? { skipped: planned.skipped } : {}),
  };
}

/** A range's scored rows: a file's rows read by a Range GET, or a prefix's pictures from its range of the listing. */
async function* scoredRows(job: Job, header: string[] | null, range: Range) {
  if (job.source === 'images') {
    for await (const scored of scorePictures(job, range)) yield [scored];
    return;
  }
  const object = await read(job.input, range);
  yield* scoreStream(job.model, object.Body as AsyncIterable<Buffer>, { format: job.format, ...(header ? { header } : {}), start: { line: range.line, offset: range.start } });
}

export async function score(job: Job, header: string[] | null, ranges: readonly Range[]): Promise<{ ranges: RangeResult[] }> {
  const writer = writerOf(job);
  const results: RangeResult[] = [];
  for (const range of ranges) {
    const text: string[] = [];
    const result: RangeResult = { range: range.range, rows: 0, errors: 0, errorsByCode: {} };
    for await (const scored of scoredRows(job, header, range)) {
      text.push(writer.rows(scored));
      result.rows += scored.length;
      for (const row of scored) {
        if (!row.error) continue;
        result.errors += 1;
        result.errorsByCode[row.error.code] = (result.errorsByCode[row.error.code] ?? 0) + 1;
      }
    }
    await write(jobFiles(job).part(range.range), text.join(''), CONTENT_TYPE[job.format]);
    results.push(result);
  }
  return { ranges: results };
}

/** The ResultWriter's manifest.json and SUCCEEDED_<n>.json files: every successful run's output (Step Functions' format). */
async function succeededRuns(results: { Bucket: string; Key: string }): Promise<RangeResult[]> {
  const manifest = JSON.parse(await readText({ bucket: results.Bucket, key: results.Key })) as { ResultFiles?: { SUCCEEDED?: { Key: string }[] } };
  const found: RangeResult[] = [];
  for (const file of manifest.ResultFiles?.SUCCEEDED ?? []) {
    const runs = JSON.parse(await readText({ bucket: results.Bucket, key: file.Key })) as { Output?: string }[];
    for (const run of runs) if (run.Output) found.push(...(JSON.parse(run.Output) as { ranges: RangeResult[] }).ranges);
  }
  return found;
}

/** Parts at least this large go up as they come (S3's smallest multipart part is 5 MiB, the last excepted). */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * `head` and then each source object, in order, as one object: a multipart
 * upload once there is more than one part's worth, else one PUT. Each source
 * is read whole (a part: one range's rows), so memory holds about a part and
 * a source, whatever the output's size. Hand-written rather than
 * @aws-sdk/lib-storage's Upload, which is not a dependency and would do the
 * same three calls.
 */
export async function concatenate(target: S3Location, head: string, sources: readonly S3Location[], contentType: string, partBytes = PART_BYTES): Promise<void> {
  const { client, sdk } = await s3();
  let buffered: Buffer[] = [Buffer.from(head, 'utf8')];
  let size = buffered[0]!.length;
  let uploadId: string | undefined;
  const parts: { ETag: string; PartNumber: number }[] = [];
  const flush = async () => {
    uploadId ??= (await client.send(new sdk.CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, ContentType: contentType }))).UploadId!;
    const PartNumber = parts.length + 1;
    const sent = await client.send(new sdk.UploadPartCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber, Body: Buffer.concat(buffered) }));
    parts.push({ ETag: sent.ETag!, PartNumber });
    buffered = [];
    size = 0;
  };
  try {
    for (const source of sources) {
      const bytes = Buffer.from(await (await read(source)).Body!.transformToByteArray());
      buffered.push(bytes);
      size += bytes.length;
      if (size >= partBytes) await flush();
    }
    if (uploadId === undefined) {
      await client.send(new sdk.PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: Buffer.concat(buffered), ContentType: contentType }));
      return;
    }
    if (size > 0) await flush();
    await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    if (uploadId !== undefined) await client.send(new sdk.AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId })).catch(() => undefined);
    throw error;
  }
}

export async function finish(job: Job, planned: Plan, results: { Bucket: string; Key: string }): Promise<Summary> {
  const ranges = JSON.parse(await readText(planned.ranges)) as Range[];
  const byRange = new Map((await succeededRuns(results)).map((r) => [r.range, r]));
  const files = jobFiles(job);
  const done = ranges.filter((r) => byRange.has(r.range));
  await concatenate(files.scores, writerOf(job).header(), done.map((r) => files.part(r.range)), CONTENT_TYPE[job.format]);
  const errorsByCode: Record<string, number> = {};
  let rows = 0;
  let errors = 0;
  for (const result of byRange.values()) {
    rows += result.rows;
    errors += result.errors;
    for (const [code, count] of Object.entries(result.errorsByCode)) errorsByCode[code] = (errorsByCode[code] ?? 0) + count;
  }
  const summary: Summary = {
    records: planned.records,
    scored: rows - errors,
    errors,
    errorsByCode,
    failedRanges: ranges.filter((r) => !byRange.has(r.range)).map(({ range, line, rows: count }) => ({ range, line, rows: count })),
    output: files.scores,
    ...(planned.skipped ? { skipped: planned.skipped } : {}),
  };
  await write(files.summary, JSON.stringify(summary), 'application/json');
  return summary;
}

/** A job the plan refuses: the error's name and message, which the state machine's Refused state makes the execution's error and cause. */
export interface Refused {
  refused: { error: string; cause: string };
}

/**
 * The plan, or its refusal of a job for the caller's reasons (a ServiceError:
 * the record limit, a header that cannot be read, an unknown model): answered,
 * not thrown, so that only the function's own failures are Lambda errors.
 */
async function planOrRefuse(job: Job): Promise<Plan | Refused> {
  try {
    return await plan(job);
  } catch (error) {
    if (error instanceof ServiceError) return { refused: { error: error.name, cause: error.message } };
    throw error;
  }
}

export async function runStep(event: StepEvent): Promise<unknown> {
  switch (event.step) {
    case 'plan':
      return planOrRefuse(event.job);
    case 'score':
      return score(event.job, event.header, event.ranges);
    case 'finish':
      return finish(event.job, event.plan, event.results);
  }
}
