import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runStep } from '../lib/batch-jobs/steps';
import type { Job, Plan, Range, RangeResult } from '../lib/batch-jobs/job';
import { addModel } from '../scripts/model-add/main';
import { repoRoot } from './helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from './helpers/models-dir';
import { s3 } from '../lib/s3';
import { startS3 } from './helpers/s3rver';
import { changeSettings } from './helpers/settings';

/**
 * The plan step's refusals (lib/batch-jobs/steps.ts), and a picture gone mid-job, in-process against
 * s3rver: a job whose input cannot be planned is answered {refused} with the
 * error's name and message, which the state machine's Refused state makes
 * the execution's error (resources/batch.js), and writes nothing. The steps'
 * whole run, from the packaged zip, is tests/package/batch.test.ts.
 */

const BUCKET = 'ml-inference-batch-steps';
let server: Awaited<ReturnType<typeof startS3>>;
let restore: () => void;

beforeAll(async () => {
  server = await startS3([BUCKET]);
  Object.assign(process.env, server.env);
  restore = changeSettings({ BATCH_BUCKET: BUCKET, BATCH_PREFIXES: `s3://${BUCKET}/jobs/` });
}, 30_000);

afterAll(async () => {
  restore();
  await server.close();
});

async function put(key: string, body: string) {
  const { client, sdk } = await s3();
  await client.send(new sdk.PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

const job = (key: string, format: Job['format'] = 'csv', model: Job['model'] = { name: 'churn', version: '1.0.0' }): Job => ({
  id: '66666666-2222-4333-8444-555555555555',
  owner: 'stepsowner',
  model,
  input: { bucket: BUCKET, key },
  output: { bucket: BUCKET, key: `jobs/out/${key.replace(/\W/g, '-')}/` },
  format,
  recordLimit: 1000,
  day: '2026-12-04',
});

it.each([
  ['an empty CSV file', '', 'InvalidCsv', 'the CSV file is empty'],
  ['a header that opens a quote it never closes', 'customerID,"gender\n7590-VHVEG,Female\n', 'InvalidCsv', "the CSV file's header opens a quote that is never closed (line 1)"],
  ['a header naming a column twice', 'tenure,tenure\n1,2\n', 'InvalidCsv', 'tenure'],
])('refuses %s, naming why, and writes no ranges and no ledger entry', async (_, text, error, cause) => {
  const key = `jobs/in/${error}-${Math.random().toString(36).slice(2)}.csv`;
  await put(key, text);
  const answer = (await runStep({ step: 'plan', job: job(key) })) as { refused?: { error: string; cause: string } };
  expect(answer.refused).toEqual({ error: expect.stringMatching(/^(InvalidCsv|ValidationFailed)$/), cause: expect.stringContaining(cause) });
  const { client, sdk } = await s3();
  const listed = await client.send(new sdk.ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'usage/' }));
  expect(listed.Contents ?? []).toEqual([]);
  const written = await client.send(new sdk.ListObjectsV2Command({ Bucket: BUCKET, Prefix: job(key).output.key }));
  expect(written.Contents ?? []).toEqual([]);
});

it('plans an input of only a header as no ranges, counting no records', async () => {
  await put('jobs/in/header-only.csv', 'customerID,gender\n');
  const answer = (await runStep({ step: 'plan', job: job('jobs/in/header-only.csv') })) as { records: number; rangeCount: number; header: string[] };
  expect(answer).toMatchObject({ records: 0, rangeCount: 0, header: ['customerID', 'gender'] });
});

describe('a prefix of pictures', () => {
  const models = scratchModelsDir([]);
  const images = path.join(repoRoot, 'tests', 'fixtures', 'images');
  beforeAll(async () => {
    useModelsDir(models);
    await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
    useModelsDir(models);
  }, 60_000);
  afterAll(() => removeModelsDir(models));

  it('scores the others and fails its own row when a picture is deleted between the listing and its scoring', async () => {
    const { client, sdk } = await s3();
    for (const name of ['a-circle.jpg', 'b-square.png', 'c-triangle.webp']) {
      await client.send(new sdk.PutObjectCommand({ Bucket: BUCKET, Key: `jobs/in/gone/${name}`, Body: readFileSync(path.join(images, name.slice(2))) }));
    }
    const pictures: Job = { ...job('jobs/in/gone/', 'jsonl', { name: 'shapes', version: '1.0.0' }), source: 'images' };
    const planned = (await runStep({ step: 'plan', job: pictures })) as Plan;
    expect(planned).toMatchObject({ records: 3, rangeCount: 1, skipped: { folders: 0, hidden: 0 } });
    await client.send(new sdk.DeleteObjectCommand({ Bucket: BUCKET, Key: 'jobs/in/gone/b-square.png' }));
    const ranges = JSON.parse(await (await client.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: planned.ranges.key }))).Body!.transformToString()) as Range[];
    const scored = (await runStep({ step: 'score', job: pictures, header: null, ranges })) as { ranges: RangeResult[] };
    expect(scored.ranges).toEqual([{ range: 0, rows: 3, errors: 1, errorsByCode: { invalid_image: 1 } }]);
    const part = await (await client.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: `${pictures.output.key}parts/000000.jsonl` }))).Body!.transformToString();
    const rows = part.trim().split('\n').map((line) => JSON.parse(line) as { file: string; label?: string; error?: { code: string; message: string } });
    expect(rows.map((r) => [r.file, r.label ?? r.error!.message])).toEqual([
      ['a-circle.jpg', 'circle'],
      ['b-square.png', 'the picture was deleted or renamed after the job listed its prefix'],
      ['c-triangle.webp', 'triangle'],
    ]);
  }, 60_000);
});
