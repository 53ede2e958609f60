import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isNoSuchKey, s3, s3Location } from '../s3';

/**
 * Where captures, feedback and reports lie (README, "Monitoring"): a local
 * folder (CAPTURE_DIR, `npm run monitor -- --from folder`) or an S3 bucket
 * and prefix (the deployed stage's MONITORING_BUCKET, `--from s3://…`), in
 * one layout (./capture-line.ts, partitionOf). Keys are relative to the
 * store's root, with "/" between parts.
 */
export interface Store {
  readonly location: string;
  /** Every key under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /** An object's text, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  write(key: string, body: string, contentType: string): Promise<void>;
}

export function folderStore(root: string): Store {
  const walk = (dir: string, into: string[]) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return into;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, into);
      else if (entry.isFile()) into.push(path.relative(root, full).split(path.sep).join('/'));
    }
    return into;
  };
  return {
    location: root,
    list: async (prefix) => walk(path.join(root, prefix), []).sort(),
    async read(key) {
      try {
        return readFileSync(path.join(root, key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(key, body) {
      const file = path.join(root, key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
    },
  };
}

export function bucketStore(bucket: string, prefix = ''): Store {
  const root = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return {
    location: `s3://${bucket}/${root}`,
    async list(under) {
      const { client, sdk } = await s3();
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: root + under, ContinuationToken: token }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(root.length));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async read(key) {
      const { client, sdk } = await s3();
      try {
        const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: root + key }));
        return await object.Body?.transformToString('utf8');
      } catch (error) {
        if (isNoSuchKey(error)) return undefined;
        throw error;
      }
    },
    async write(key, body, contentType) {
      const { client, sdk } = await s3();
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: root + key, Body: body, ContentType: contentType }));
    },
  };
}

/** A store from a folder path or an s3://bucket/prefix URL. */
export function storeAt(location: string): Store {
  const bucket = s3Location(location);
  return bucket ? bucketStore(bucket.bucket, bucket.prefix) : folderStore(path.resolve(location));
}
