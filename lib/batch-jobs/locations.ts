import { ValidationFailed } from '../errors';
import { shorten } from '../shorten';

/**
 * Where a batch job reads and writes (README, "Batch scoring"): S3 locations
 * as s3://bucket/key URLs, and the stage's allowed prefixes (BATCH_PREFIXES,
 * serverless.yml's batchPrefixes param; resources/batch.js grants the job's
 * roles exactly these). A location outside every prefix is refused before
 * anything is read.
 */
export interface S3Location {
  bucket: string;
  key: string;
}

/** S3's bucket naming rules, the part a URL can break: 3 to 63 of a-z, 0-9, "." and "-". */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const s3Url = ({ bucket, key }: S3Location): string => `s3://${bucket}/${key}`;

/** "s3://bucket/key" → {bucket, key}, or undefined for anything else. */
export function parseS3Url(text: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/s.exec(text);
  if (!match || !BUCKET.test(match[1]!)) return undefined;
  return { bucket: match[1]!, key: match[2]! };
}

/**
 * BATCH_PREFIXES' text ("s3://a/in/,s3://b/") as locations whose keys are
 * prefixes ending in "/" (or empty: the whole bucket), or undefined when an
 * entry is not one (lib/settings.ts refuses the setting).
 */
export function parsePrefixes(text: string): S3Location[] | undefined {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const parsed = entries.map(parseS3Url);
  return parsed.every((p): p is S3Location => p !== undefined && (p.key === '' || (p.key.endsWith('/') && !/[*?\s]/.test(p.key)))) && parsed.length > 0 ? parsed : undefined;
}

/** Whether a key (an object, or a prefix ending in "/") lies under one of the prefixes. */
export const isUnder = (location: S3Location, prefixes: readonly S3Location[]): boolean =>
  prefixes.some((prefix) => prefix.bucket === location.bucket && location.key.startsWith(prefix.key));

/**
 * A request field's S3 URL, checked: a URL, under an allowed prefix, and no
 * "." or ".." segment (S3 keeps them literally, but a reader would take them
 * for a way out of the prefix). 400 naming the field otherwise.
 */
export function allowedLocation(field: string, value: unknown, prefixes: readonly S3Location[], { prefix }: { prefix: boolean }): S3Location {
  const refuse = (problem: string): never => {
    throw new ValidationFailed(`${field.slice(1)} ${problem}`, [{ path: field, problem }]);
  };
  if (typeof value !== 'string') return refuse('must be an s3://bucket/key URL');
  const location = parseS3Url(value) ?? refuse(`must be an s3://bucket/key URL, not ${JSON.stringify(shorten(value, 80))}`);
  if (location.key.split('/').some((segment) => segment === '.' || segment === '..')) refuse('must not have "." or ".." in its key');
  if (prefix ? !location.key.endsWith('/') && location.key !== '' : location.key === '' || location.key.endsWith('/')) {
    refuse(prefix ? 'must be a prefix ending in "/"' : 'must name an object, not a prefix');
  }
  if (!isUnder(location, prefixes)) refuse(`is outside the batch prefixes of this stage (${prefixes.map(s3Url).join(', ')})`);
  return location;
}
