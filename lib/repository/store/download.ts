import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { ModelFetchError, ModelLoadError } from '../../errors';
import { s3 } from '../../s3';
import { s3Reason, type StoredFile } from './store-listing';

/**
 * One file of the store into /tmp, checked against the sha256 its manifest
 * names before anything reads it. A large file comes in parallel ranged GETs
 * (S3's guidance for throughput: several connections, each a byte range of
 * 8–16 MB), written at their offsets and hashed in order as they arrive, so
 * the whole file is never held in memory and never read twice. The file
 * appears under its name only once it matches; a mismatch leaves nothing.
 *
 * Written here because the SDK's part-wise helper (@aws-sdk/lib-storage)
 * uploads only; it has no ranged download.
 */

export const PART_BYTES = 8 * 1024 * 1024;
/** Parts in flight at once: 4 × 8 MiB held at most, and enough connections to fill Lambda's network (README, "Large models"). */
export const PARALLEL_PARTS = 4;

async function getRange(bucket: string, key: string, start: number, end: number, etag: string): Promise<Uint8Array> {
  const { client, sdk } = await s3();
  // IfMatch: every part from the same object, even if it is pushed again meanwhile.
  const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch: etag || undefined }));
  if (!object.Body) throw new Error('empty body');
  return object.Body.transformToByteArray();
}

export async function downloadVerified(bucket: string, file: StoredFile, target: string, sha256: string, name: string): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  const handle = await open(partial, 'w');
  const hash = createHash('sha256');
  let written = 0;
  try {
    const parts = Math.max(1, Math.ceil(file.size / PART_BYTES));
    const inFlight: Promise<Uint8Array>[] = [];
    const start = (index: number) => {
      const from = index * PART_BYTES;
      const to = Math.min(file.size, from + PART_BYTES) - 1;
      // A zero-byte object is one empty part: a Range on it is unsatisfiable.
      inFlight[index] = file.size === 0 ? Promise.resolve(new Uint8Array()) : getRange(bucket, file.key, from, to, file.etag);
      inFlight[index].catch(() => undefined); // awaited in order below; never an unhandled rejection meanwhile
    };
    for (let index = 0; index < Math.min(parts, PARALLEL_PARTS); index++) start(index);
    for (let index = 0; index < parts; index++) {
      let bytes: Uint8Array;
      try {
        bytes = await inFlight[index]!;
      } catch (error) {
        throw new ModelFetchError(`${name} could not be downloaded from the model store (${s3Reason(error)})`);
      }
      delete inFlight[index];
      if (index + PARALLEL_PARTS < parts) start(index + PARALLEL_PARTS);
      hash.update(bytes);
      await handle.write(bytes, 0, bytes.length, written);
      written += bytes.length;
    }
  } catch (error) {
    await handle.close();
    await rm(partial, { force: true });
    if (error instanceof ModelFetchError) throw error;
    throw new ModelFetchError(`${name} could not be written to /tmp (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  await handle.close();
  const found = hash.digest('hex');
  if (written !== file.size || found !== sha256) {
    await rm(partial, { force: true });
    throw new ModelLoadError(`sha256 mismatch: ${name} in the model store is ${found}, the manifest expects ${sha256}`);
  }
  await rename(partial, target);
}
