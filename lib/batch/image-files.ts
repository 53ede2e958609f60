import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * A folder of pictures as the batch scorer reads it (README, "Batch
 * scoring"): its files sorted by name, each read only when it is scored,
 * so a folder of any size is never held, only its names.
 *
 * - Every visible file of the folder itself is a row: a picture the model
 *   cannot take (a .tiff, a .txt) is reported in its own row with the
 *   route's error, so the output accounts for every file. Hidden files
 *   (.DS_Store) and subfolders are skipped and counted, not scored.
 * - Names are sorted by their UTF-8 bytes, not by locale: the same order on
 *   every machine, and the order S3 lists keys in, so the same pictures
 *   scored here and under a prefix by a deployed batch job
 *   (lib/batch-jobs/steps.ts) come out in one order.
 * - A file's media type is what a client would send as its Content-Type,
 *   by its extension. A table of a few extensions rather than a MIME
 *   library: the image kind takes four types, and any other extension is
 *   refused by the route whatever its precise type.
 */

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.bmp': 'image/bmp',
  '.svg': 'image/svg+xml',
  '.heic': 'image/heic',
  '.avif': 'image/avif',
  '.txt': 'text/plain',
};

/** The Content-Type a file would be sent with, by its extension; application/octet-stream for one not listed. */
export function mediaTypeOfFile(name: string): string {
  return MEDIA_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

export interface ImageFile {
  /** Its name relative to the folder. */
  name: string;
  mediaType: string;
  size: number;
  /** Its bytes, read now. */
  read(): Promise<Buffer>;
}

export interface ImageFolder {
  /** The files to score, in name order; none read yet. */
  files: ImageFile[];
  /** The files' sizes summed, for progress. */
  totalBytes: number;
  /** What was not scored: subfolders (with anything else that is not a file: a link to nothing) and hidden files (a name starting with "."). */
  skipped: { folders: number; hidden: number };
}

/** UTF-8 byte order (S3's), which differs from plain `<` (UTF-16 code units) for names past U+FFFF. */
const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const byName = (a: Dirent, b: Dirent) => byUtf8(a.name, b.name);

/** Whether an entry is a file, following a symbolic link (one to a folder, or to nothing, is not). */
async function isFile(folder: string, entry: Dirent): Promise<boolean> {
  if (!entry.isSymbolicLink()) return entry.isFile();
  return (await stat(path.join(folder, entry.name)).catch(() => null))?.isFile() === true;
}

/** The folder's files to score, sorted by name (see the top of this file); throws (ENOENT, ENOTDIR) when it cannot be listed. */
export async function imageFolder(folder: string): Promise<ImageFolder> {
  const entries = (await readdir(folder, { withFileTypes: true })).sort(byName);
  const listing: ImageFolder = { files: [], totalBytes: 0, skipped: { folders: 0, hidden: 0 } };
  for (const entry of entries) {
    if (entry.name.startsWith('.')) listing.skipped.hidden++;
    else if (!(await isFile(folder, entry))) listing.skipped.folders++;
    else {
      const file = path.join(folder, entry.name);
      const { size } = await stat(file);
      listing.totalBytes += size;
      listing.files.push({ name: entry.name, mediaType: mediaTypeOfFile(entry.name), size, read: () => readFile(file) });
    }
  }
  return listing;
}
