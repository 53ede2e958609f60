// npm run bench -- batch-cost: what a deployed batch job costs per million
// records (README, "Batch scoring"), from measured figures: the batch
// function of the packaged dev zip run step by step (plan, each batch of
// ranges, finish) on the pinned CPU against s3rver (a real S3 API, its
// request log counting each operation), on the Telco customers repeated;
// priced with bench/pricing.json beside the same records through the online
// API, at one record per call and at MAX_BATCH per call (the warm handler's
// measured times in bench/results.json).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/free-port';
import { childJson, functionEnvironments, packageArtifact, root } from './artifact';
import type { Pricing } from './cost';
import type { Pinned } from './pin';
import { generate, telcoLines } from './score';
import type { BatchFigure } from './stats';

const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 100_000);
const BUCKET = 'ml-inference-bench-batch';

/** S3's two request classes, as its price list groups the operations the job sends. */
const PUT_CLASS = new Set(['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'ListObjectsV2', 'CopyObject']);

export interface BatchRun {
  rows: number;
  bytes: number;
  ranges: number;
  batches: number;
  rangesPerBatch: number;
  memoryMb: number;
  /** Each invocation's handler duration: plan, every scoring run, finish. */
  planMs: number;
  scoreMs: number[];
  finishMs: number;
  /** Requests the steps sent to S3, by operation (s3rver's log), and those Step Functions itself makes (ItemReader's GET, ResultWriter's PUTs). */
  s3: Record<string, number>;
  stepFunctionsS3: { get: number; put: number };
}

export interface Dollars {
  lambdaCompute: number;
  lambdaRequests: number;
  stepFunctions: number;
  s3: number;
  apiGateway: number;
  total: number;
}

export interface BatchCostResults {
  measured: string;
  machine: { cpu: string; cores: number; node: string };
  pinned: { cpu: number | null; command: string | null };
  run: BatchRun;
  /** Per million records: the batch job (as jobs like the measured one), the online API at 1 and at MAX_BATCH records per call. */
  perMillion: { batch: Dollars & { transitions: number; invocations: number; s3Get: number; s3Put: number }; onlineSingle: Dollars; onlineBatch: Dollars & { recordsPerCall: number } };
  /** The online figures priced: the warm predict handler's p50 on one record and its median on a batch (bench/results.json). */
  online: { singleMs: number; batchMs: number; batchRecords: number; memoryMb: number };
  pricing: Pricing;
}

/** Lambda bills each invocation's duration rounded up to its granularity. */
const billed = (pricing: Pricing, ms: number) => Math.max(1, Math.ceil(ms / pricing.lambda.billingGranularityMs)) * pricing.lambda.billingGranularityMs;

/**
 * The prices of a measured run, per million records: the run scaled to a
 * million records (jobs like it, each with its own plan and finish: an upper
 * bound for one large job, which plans and finishes once); Step Functions'
 * state transitions as a Standard workflow counts them, one per state
 * entered (Plan, Planned, Score, Finish, and each child run's ScoreRanges), no retries.
 */
export function batchCost(pricing: Pricing, run: BatchRun, online: { singleMs: number; batch: BatchFigure; batchRecords: number; memoryMb: number }): BatchCostResults['perMillion'] {
  const scale = 1e6 / run.rows;
  const gb = run.memoryMb / 1024;
  const durations = [run.planMs, ...run.scoreMs, run.finishMs];
  const gbSeconds = durations.reduce((sum, ms) => sum + (gb * billed(pricing, ms)) / 1000, 0) * scale;
  const invocations = durations.length * scale;
  const transitions = (4 + run.batches) * scale;
  const count = (put: boolean) => Object.entries(run.s3).reduce((n, [op, c]) => n + (PUT_CLASS.has(op) === put ? c : 0), 0);
  const s3Get = (count(false) + run.stepFunctionsS3.get) * scale;
  const s3Put = (count(true) + run.stepFunctionsS3.put) * scale;
  const price = pricing.lambda.perGbSecond.x86_64;
  const batch = {
    lambdaCompute: gbSeconds * price,
    lambdaRequests: (invocations / 1e6) * pricing.lambda.perMillionRequests,
    stepFunctions: (transitions / 1000) * pricing.stepFunctions.perThousandStandardTransitions,
    s3: (s3Get / 1000) * pricing.s3.perThousandGet + (s3Put / 1000) * pricing.s3.perThousandPut,
    apiGateway: (scale / 1e6) * 2 * pricing.apiGateway.restPerMillionRequests,
  };
  const onlineOf = (calls: number, ms: number) => {
    const parts = {
      lambdaCompute: calls * ((online.memoryMb / 1024) * billed(pricing, ms)) / 1000 * price,
      lambdaRequests: (calls / 1e6) * pricing.lambda.perMillionRequests,
      stepFunctions: 0,
      s3: 0,
      apiGateway: (calls / 1e6) * pricing.apiGateway.restPerMillionRequests,
    };
    return { ...parts, total: Object.values(parts).reduce((a, b) => a + b, 0) };
  };
  return {
    batch: { ...batch, total: Object.values(batch).reduce((a, b) => a + b, 0), transitions, invocations, s3Get, s3Put },
    onlineSingle: onlineOf(1e6, online.singleMs),
    onlineBatch: { ...onlineOf(1e6 / online.batchRecords, online.batch.msPerBatch), recordsPerCall: online.batchRecords },
  };
}

/** s3rver, a separate process (the steps run synchronously on the pinned CPU meanwhile), logging each request with the SDK's x-id (the operation). */
async function startS3(dir: string): Promise<{ endpoint: string; child: ChildProcess; log: () => string }> {
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [path.join(root, 'node_modules/s3rver/bin/s3rver.js'), '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--configure-bucket', BUCKET], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const wait = () => (log.includes('listening') ? resolve() : Date.now() - started > 20_000 ? reject(new Error('s3rver did not start')) : setTimeout(wait, 50));
    wait();
  });
  return { endpoint: `http://127.0.0.1:${port}`, child, log: () => log };
}

/** Operations by name from s3rver's request lines ("/key?x-id=GetObject 206 …", "/?list-type=2&prefix=… 200"). */
export function operationsOf(log: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of log.split('\n')) {
    const op = /[?&]x-id=(\w+)/.exec(line)?.[1] ?? (/[?&]list-type=2/.test(line) ? 'ListObjectsV2' : undefined);
    if (op) counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

export async function runBatchCost(pinned: Pinned, log: (message: string) => void): Promise<BatchCostResults> {
  const pricing = JSON.parse(readFileSync(path.join(root, 'bench/pricing.json'), 'utf8')) as Pricing;
  const previous = JSON.parse(readFileSync(path.join(root, 'bench/results.json'), 'utf8')) as { ours: { warmHandler: { p50: number }; handlerBatch: Record<string, BatchFigure>; cost: { memoryMb: number } } };
  log('batch-cost: packaging the dev stage');
  const { artifactDir, taskRoot } = packageArtifact();
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-batch-'));
  const s3 = await startS3(path.join(scratch, 's3'));
  try {
    const template = JSON.parse(readFileSync(path.join(artifactDir, 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    const fn = template.Resources.BatchLambdaFunction!.Properties as { MemorySize: number };
    const rangesPerBatch = (template.Resources.BatchStateMachine!.Properties.Definition as { States: { Score: { ItemBatcher: { MaxItemsPerBatch: number } } } }).States.Score.ItemBatcher.MaxItemsPerBatch;
    const env = {
      ...functionEnvironments(artifactDir).batch!,
      BATCH_PREFIXES: `s3://${BUCKET}/jobs/`,
      BATCH_BUCKET: BUCKET,
      LAMBDA_TASK_ROOT: taskRoot,
      HOME: '/tmp',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    const telco = telcoLines();
    const file = path.join(scratch, 'customers.csv');
    const { rows, bytes } = generate(file, telco.header, telco.lines, { rows: ROWS });
    const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'jobs/in/customers.csv', Body: readFileSync(file) }));
    const before = s3.log().length;

    const probe = path.join(root, 'bench/probes/batch-step.js');
    const invoke = <T>(event: unknown) => childJson<{ ms: number; result: T }>(pinned, [probe], env, JSON.stringify(event)).result;
    const job = {
      id: '0b0b0b0b-1111-4222-8333-444455556666',
      owner: 'benchowner',
      model: { name: 'churn', version: JSON.parse(readFileSync(path.join(taskRoot, 'models/churn/1.0.0/model.json'), 'utf8')).version as string },
      input: { bucket: BUCKET, key: 'jobs/in/customers.csv' },
      output: { bucket: BUCKET, key: 'jobs/out/0b0b0b0b-1111-4222-8333-444455556666/' },
      format: 'csv',
      recordLimit: 1e9,
      day: new Date().toISOString().slice(0, 10),
    };
    log(`batch-cost: plan (${rows} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB)`);
    const plan = invoke<{ header: string[]; ranges: { bucket: string; key: string }; rangeCount: number; results: { bucket: string; prefix: string } }>({ step: 'plan', job });
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    // Step Functions' part: ItemReader reads ranges.json, ItemBatcher batches it.
    const items = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: plan.result.ranges.key }))).Body!.transformToString()) as unknown[];
    const batches = Array.from({ length: Math.ceil(items.length / rangesPerBatch) }, (_, i) => items.slice(i * rangesPerBatch, (i + 1) * rangesPerBatch));
    const scoreMs: number[] = [];
    const outputs: string[] = [];
    for (const [i, ranges] of batches.entries()) {
      log(`batch-cost: scoring run ${i + 1} of ${batches.length} (${ranges.length} ranges)`);
      const scored = invoke<unknown>({ step: 'score', job, header: plan.result.header, ranges });
      scoreMs.push(scored.ms);
      outputs.push(JSON.stringify(scored.result));
    }
    // The ResultWriter's files, as Step Functions writes them (not counted as the steps' requests below).
    const folder = `${plan.result.results.prefix}bench-map-run/`;
    const succeeded = JSON.stringify(outputs.map((Output, i) => ({ Name: `run-${i}`, Status: 'SUCCEEDED', Output })));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${folder}SUCCEEDED_0.json`, Body: succeeded }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${folder}manifest.json`, Body: JSON.stringify({ DestinationBucket: BUCKET, ResultFiles: { SUCCEEDED: [{ Key: `${folder}SUCCEEDED_0.json`, Size: succeeded.length }], FAILED: [], PENDING: [] } }) }));
    const stepsLog = s3.log().slice(before);
    log('batch-cost: finish');
    const finished = invoke<unknown>({ step: 'finish', job, plan: plan.result, results: { Bucket: BUCKET, Key: `${folder}manifest.json` } });
    const s3Ops = operationsOf(stepsLog.replace(/[^\n]*(SUCCEEDED_0|manifest)\.json\?x-id=PutObject[^\n]*\n?/g, '') + s3.log().slice(before + stepsLog.length));
    const run: BatchRun = {
      rows,
      bytes,
      ranges: items.length,
      batches: batches.length,
      rangesPerBatch,
      memoryMb: fn.MemorySize,
      planMs: plan.ms,
      scoreMs,
      finishMs: finished.ms,
      s3: s3Ops,
      // ItemReader's GetObject of ranges.json; ResultWriter's manifest.json and one SUCCEEDED_ file.
      stepFunctionsS3: { get: 1, put: 2 },
    };
    const online = { singleMs: previous.ours.warmHandler.p50, batch: previous.ours.handlerBatch['1000']!, batchRecords: 1000, memoryMb: previous.ours.cost.memoryMb };
    return {
      measured: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
      pinned: { cpu: pinned.cpu, command: pinned.command },
      run,
      perMillion: batchCost(pricing, run, online),
      online: { singleMs: online.singleMs, batchMs: online.batch.msPerBatch, batchRecords: online.batchRecords, memoryMb: online.memoryMb },
      pricing,
    };
  } finally {
    s3.child.kill();
    rmSync(scratch, { recursive: true, force: true });
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

export const usd = (x: number) => (x === 0 ? '—' : x >= 0.01 ? `$${x.toFixed(2)}` : `$${x.toPrecision(2)}`);
const n = (x: number) => Math.round(x).toLocaleString('en-US');

export function batchCostSection(results: BatchCostResults | undefined): string {
  if (results === undefined) return '## Batch jobs: cost per million records\n\nNot measured yet: `npm run bench -- batch-cost`.\n';
  const { run, perMillion: m, pricing } = results;
  const pin = results.pinned.command ? `pinned to one CPU (\`${results.pinned.command}\`)` : 'unpinned (taskset missing)';
  const scored = run.scoreMs.reduce((a, b) => a + b, 0);
  const row = (what: string, d: Dollars) => `| ${what} | ${usd(d.lambdaCompute)} | ${usd(d.lambdaRequests)} | ${usd(d.stepFunctions)} | ${usd(d.s3)} | ${usd(d.apiGateway)} | **${usd(d.total)}** |`;
  return [
    '## Batch jobs: cost per million records',
    '',
    `\`npm run bench -- batch-cost\`, measured ${results.measured.slice(0, 10)} on ${results.machine.cpu}, Node ${results.machine.node}, ${pin}: the batch function of the packaged dev zip, step by step as the state machine runs it, against s3rver. Churn on ${n(run.rows)} Telco rows repeated (${(run.bytes / 2 ** 20).toFixed(1)} MiB of CSV): ${run.ranges} ranges, ${run.batches} scoring run${run.batches === 1 ? '' : 's'} of up to ${run.rangesPerBatch}; the plan took ${n(run.planMs)} ms, scoring ${n(scored)} ms (${n(run.rows / (scored / 1000))} records/s in the scoring runs), the finish ${n(run.finishMs)} ms, at ${run.memoryMb} MB. S3 requests of the steps: ${Object.entries(run.s3).map(([op, c]) => `${op} ${c}`).join(', ')}; Step Functions' own: ItemReader 1 GET, ResultWriter 2 PUTs.`,
    '',
    `Per million records, with \`bench/pricing.json\` (${pricing.region}, ${pricing.date}): the batch job as jobs like the measured one (each plans and finishes: an upper bound for one large job), ${n(m.batch.invocations)} Lambda invocations, ${n(m.batch.transitions)} state transitions (one per state entered, no retries), ${n(m.batch.s3Get)} GET-class and ${n(m.batch.s3Put)} PUT-class S3 requests, and its two job calls through API Gateway; the online API from the warm predict handler's measured times (bench/results.json: ${results.online.singleMs.toFixed(2)} ms p50 for one record, ${results.online.batchMs.toFixed(2)} ms for a batch of ${results.online.batchRecords}), each call billed at Lambda's 1 ms granularity and ${n(results.online.memoryMb)} MB.`,
    '',
    '| path | Lambda compute | Lambda requests | Step Functions | S3 requests | API Gateway | total |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('batch job (Step Functions Distributed Map, S3)', m.batch),
    row('online API, one record per call', m.onlineSingle),
    row(`online API, ${m.onlineBatch.recordsPerCall} records per call (MAX_BATCH)`, m.onlineBatch),
    '',
    "Lambda's duration is this machine's, one pinned core standing for the one vCPU Lambda gives 1,769 MB. What the figures leave out: S3 storage and transfer of the input and output, CloudWatch Logs, and on the online side the client that sends a million records through API Gateway (1,000 calls at the most records a call may carry; a usage plan counts each one).",
    '',
  ].join('\n');
}
