import type { S3Client } from '@aws-sdk/client-s3';

/**
 * The AWS SDK's S3 client, loaded on first use: the functions that never
 * touch S3 do not pay for loading it. A custom endpoint (the SDK's standard
 * AWS_ENDPOINT_URL_S3: an S3-compatible server such as s3rver in the tests,
 * or MinIO) is addressed path-style, as such servers expect. One client per
 * process: the model store, the monitoring store and model:push share it.
 */
let client: S3Client | undefined;

export type S3Sdk = typeof import('@aws-sdk/client-s3');

export async function s3(): Promise<{ client: S3Client; sdk: S3Sdk }> {
  const sdk = await import('@aws-sdk/client-s3');
  client ??= new sdk.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return { client, sdk };
}

/** An s3://bucket/prefix URL as a bucket and a key prefix ending in "/" (or empty). */
export function s3Location(url: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) return undefined;
  const prefix = match[2]!;
  return { bucket: match[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Whether an SDK error is S3's "no such key" (a missing object, not a failure). */
export const isNoSuchKey = (error: unknown): boolean => (error as { name?: string } | null)?.name === 'NoSuchKey';
