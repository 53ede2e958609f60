import { concatenate } from '../lib/batch-jobs/steps';
import { s3 } from '../lib/s3';
import { startS3 } from './helpers/s3rver';

/**
 * How the finish step assembles a job's output (lib/batch-jobs/steps.ts):
 * the header, then every part in range order, as one object, against a real
 * S3 API (s3rver on 127.0.0.1). The package test's outputs fit one PUT; here
 * parts of S3's real sizes (at least 5 MiB but the last) go up as a
 * multipart upload.
 */

const BUCKET = 'ml-inference-concatenate';
let server: Awaited<ReturnType<typeof startS3>>;
/** The S3 operations the client sent, by the SDK's command names. */
const sent: string[] = [];

beforeAll(async () => {
  server = await startS3([BUCKET]);
  Object.assign(process.env, server.env);
  const { client } = await s3();
  client.middlewareStack.add((next, context) => async (args) => {
    sent.push(String(context.commandName).replace(/Command$/, ''));
    return next(args);
  }, { step: 'initialize', name: 'recordOperation' });
}, 30_000);

afterAll(async () => {
  await server.close();
});

async function put(key: string, body: Buffer | string) {
  const { client, sdk } = await s3();
  await client.send(new sdk.PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function read(key: string) {
  const { client, sdk } = await s3();
  const object = await client.send(new sdk.GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { bytes: Buffer.from(await object.Body!.transformToByteArray()) };
}

it('writes the head and the parts in their order, by a multipart upload of parts of at least 5 MiB when they are larger than one', async () => {
  const MIB = 1024 * 1024;
  // Three parts of 3 MiB (each a different byte), in the order given, not the keys'.
  const parts = ['c', 'a', 'b'].map((letter, i) => ({ key: `job/parts/${letter}`, bytes: Buffer.alloc(3 * MIB, 97 + i) }));
  for (const part of parts) await put(part.key, part.bytes);
  sent.splice(0);
  await concatenate({ bucket: BUCKET, key: 'job/scores.csv' }, 'line,churn\n', parts.map((p) => ({ bucket: BUCKET, key: p.key })), 'text/csv', 5 * MIB);
  // Parts of 6 MiB and a little (the head and two sources), then the last source's 3 MiB.
  expect(sent.filter((name) => name !== 'GetObject')).toEqual(['CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'].flatMap((n) => (n === 'UploadPart' ? [n, n] : [n])));
  const written = await read('job/scores.csv');
  expect(written.bytes.equals(Buffer.concat([Buffer.from('line,churn\n'), ...parts.map((p) => p.bytes)]))).toBe(true);
}, 60_000);

it('writes a small output with one PUT, and the header alone for a job with no rows', async () => {
  await put('small/parts/0', '2,0.5\n');
  sent.splice(0);
  await concatenate({ bucket: BUCKET, key: 'small/scores.csv' }, 'line,p\n', [{ bucket: BUCKET, key: 'small/parts/0' }], 'text/csv');
  expect(sent).toEqual(['GetObject', 'PutObject']);
  expect((await read('small/scores.csv')).bytes.toString()).toBe('line,p\n2,0.5\n');
  await concatenate({ bucket: BUCKET, key: 'empty/scores.csv' }, 'line,p\n', [], 'text/csv');
  expect((await read('empty/scores.csv')).bytes.toString()).toBe('line,p\n');
});
