import { s3 } from '../s3';
import type { S3Location } from './locations';

/** The batch steps' S3 reads and writes (lib/batch-jobs/steps.ts, ./pictures.ts): an object, or a byte range of it; text; one PUT. */

export async function read(location: S3Location, range?: { start: number; end: number }) {
  const { client, sdk } = await s3();
  return client.send(new sdk.GetObjectCommand({ Bucket: location.bucket, Key: location.key, ...(range ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}) }));
}

export async function readText(location: S3Location, range?: { start: number; end: number }): Promise<string> {
  return (await (await read(location, range)).Body!.transformToString('utf8')) ?? '';
}

export async function write(location: S3Location, body: string, contentType: string): Promise<void> {
  const { client, sdk } = await s3();
  await client.send(new sdk.PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: body, ContentType: contentType }));
}
