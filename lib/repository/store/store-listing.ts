import { ModelFetchError } from '../../errors';
import { NAME_PATTERN, VERSION_PATTERN } from '../../manifest/base';
import { s3 } from '../../s3';

/**
 * What a model store holds, from one listing of its prefix: the layout
 * `npm run model:push` writes, `<prefix><name>/<version>/<file>` and
 * `<prefix><name>/traffic.json`, as models/ lays out a package. Anything
 * else under the prefix (a folder inside a version, a name that is not a
 * model's) is not a model's and is left alone.
 */

export interface StoredFile {
  readonly key: string;
  readonly size: number;
  /** Changes whenever the object is written again: what tells a warm container a version was pushed anew. */
  readonly etag: string;
}

export interface StoreListing {
  /** By "name/version": the version folder's files by file name. */
  readonly versions: ReadonlyMap<string, ReadonlyMap<string, StoredFile>>;
  /** By model name. */
  readonly traffic: ReadonlyMap<string, StoredFile>;
}

const nameShape = new RegExp(NAME_PATTERN);
const versionShape = new RegExp(VERSION_PATTERN);
// A plain file name: never "..", never a hidden file, never a path.
const fileShape = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Where a key lies in the layout, or undefined for a key that is no model's. */
export function placeOf(relative: string): { name: string; version: string; file: string } | { name: string; traffic: true } | undefined {
  const parts = relative.split('/');
  if (parts.length === 2 && nameShape.test(parts[0]!) && parts[1] === 'traffic.json') return { name: parts[0]!, traffic: true };
  if (parts.length !== 3) return undefined;
  const [name, version, file] = parts as [string, string, string];
  return nameShape.test(name) && versionShape.test(version) && fileShape.test(file) ? { name, version, file } : undefined;
}

/** Lists the store's prefix, every page; a failure is a ModelFetchError (retried), naming the store and S3's error. */
export async function listStore(bucket: string, prefix: string): Promise<StoreListing> {
  const versions = new Map<string, Map<string, StoredFile>>();
  const traffic = new Map<string, StoredFile>();
  const { client, sdk } = await s3();
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const place = placeOf(object.Key.slice(prefix.length));
        if (!place) continue;
        const file: StoredFile = { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' };
        if ('traffic' in place) traffic.set(place.name, file);
        else {
          const id = `${place.name}/${place.version}`;
          if (!versions.has(id)) versions.set(id, new Map());
          versions.get(id)!.set(place.file, file);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    throw new ModelFetchError(`the model store s3://${bucket}/${prefix} could not be listed (${s3Reason(error)})`);
  }
  return { versions, traffic };
}

/** S3's error in a few safe words: its name, HTTP status or network code, never a signed URL or a credential. */
export function s3Reason(error: unknown): string {
  const { name, code, $metadata } = (error ?? {}) as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  const parts = [typeof name === 'string' ? name : 'Error', ...(status ? [`HTTP ${status}`] : []), ...(typeof code === 'string' && code !== name ? [code] : [])];
  return parts.join(', ');
}
