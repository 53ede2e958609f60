import { mediaTypeOfFile, scoreImages, type ImageFile, type ScoredFile } from '../batch';
import { InvalidImage } from '../errors';
import { isNoSuchKey, s3 } from '../s3';
import { jobFiles, type Job, type Range, type Skipped } from './job';
import { read, readText, write } from './objects';

/**
 * A batch job over a prefix of pictures (README, "Batch scoring"), as
 * `npm run score` reads a folder (lib/batch/image-files.ts): every object
 * directly under the prefix is a row, in S3's key order (UTF-8 bytes, the
 * local scorer's order too); keys past a further "/" (subfolders) and
 * names starting with "." are counted as skipped, not scored; an object
 * whose key is the prefix itself (a console's "folder") is neither.
 *
 * The plan lists the prefix once (ListObjectsV2, 1,000 keys a page) into
 * the job's listing, files.jsonl, one {file, size} line per picture, and
 * cuts the listing into ranges as a CSV file is cut: by byte offsets into
 * files.jsonl, so the Distributed Map and ranges.json are the same for both
 * sources. A range closes at about BATCH_RANGE_BYTES of pictures or at
 * PICTURES_PER_RANGE of them, whichever comes first. A scoring run reads
 * its range of the listing by a Range GET, then each picture, one at a
 * time, when it is scored (its size from the listing, so one over
 * MAX_BODY_BYTES is refused without being read).
 */

/** At most this many pictures to a range: about two minutes of a ResNet-50 on one Lambda vCPU, well inside the step's 900 s. */
export const PICTURES_PER_RANGE = 500;

/** One line of files.jsonl. */
interface Listed {
  file: string;
  size: number;
}

export interface PicturePlan {
  ranges: Range[];
  records: number;
  skipped: Skipped;
}

/** Lists the job's prefix into its listing (files.jsonl) and cuts that into ranges (see the top of this file). */
export async function planPictures(job: Job, rangeBytes: number): Promise<PicturePlan> {
  const { client, sdk } = await s3();
  const prefix = job.input.key;
  const lines: string[] = [];
  const ranges: Range[] = [];
  const skipped: Skipped = { folders: 0, hidden: 0 };
  let offset = 0;
  let current: (Range & { bytes: number }) | undefined;
  let token: string | undefined;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: job.input.bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }));
    skipped.folders += page.CommonPrefixes?.length ?? 0;
    for (const object of page.Contents ?? []) {
      const file = object.Key!.slice(prefix.length);
      if (file === '') continue;
      if (file.startsWith('.')) {
        skipped.hidden += 1;
        continue;
      }
      const size = object.Size ?? 0;
      if (current === undefined || current.bytes >= rangeBytes || current.rows >= PICTURES_PER_RANGE) {
        if (current) ranges.push(rangeOf(current, offset));
        current = { range: ranges.length, start: offset, end: offset, line: lines.length + 1, rows: 0, bytes: 0 };
      }
      const line = `${JSON.stringify({ file, size } satisfies Listed)}\n`;
      lines.push(line);
      offset += Buffer.byteLength(line);
      current.rows += 1;
      current.bytes += size;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  if (current) ranges.push(rangeOf(current, offset));
  await write(jobFiles(job).listing, lines.join(''), 'application/x-ndjson');
  return { ranges, records: lines.length, skipped };
}

const rangeOf = ({ range, start, line, rows }: Range, end: number): Range => ({ range, start, end, line, rows });

/** A listed picture as lib/batch's scorer takes a file: its bytes read from S3 when it is scored. */
function pictureOf(job: Job, { file, size }: Listed): ImageFile {
  return {
    name: file,
    mediaType: mediaTypeOfFile(file),
    size,
    async read() {
      try {
        return Buffer.from(await (await read({ bucket: job.input.bucket, key: `${job.input.key}${file}` })).Body!.transformToByteArray());
      } catch (error) {
        // Its own row's error, not the range's: the others are still scored.
        if (isNoSuchKey(error)) throw new InvalidImage('the picture was deleted or renamed after the job listed its prefix');
        throw error;
      }
    },
  };
}

/** One range of the listing's pictures, scored in the listing's order. */
export async function* scorePictures(job: Job, range: Range): AsyncGenerator<ScoredFile, void, undefined> {
  const text = await readText(jobFiles(job).listing, range);
  const files = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => pictureOf(job, JSON.parse(line) as Listed));
  yield* scoreImages(job.model, files);
}
