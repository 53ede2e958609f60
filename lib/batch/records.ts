/**
 * A file's bytes cut into records, streamed: a record is a line (JSON
 * lines), or for CSV the lines up to one where the quotes it has opened are
 * closed again (RFC 4180: a line break inside quotes is part of a value).
 * Each record carries the line it starts on and its byte offset, so that the
 * deployed path can read a byte range that starts a row and still name
 * lines and order rows.
 *
 * Hand-written rather than left to csv-parse's stream: after a character
 * right after a closing quote ("x"y) its skip_records_with_error reads
 * every following row as one quoted value and loses them, and it reports a
 * quote left open at the last line rather than where it opened. Cut by
 * quote parity first, each record is parsed by csv-parse on its own
 * (./csv-rows.ts), so a broken row is that row only.
 */

export interface FileRecord {
  /** The line (1-based) the record starts on. */
  line: number;
  /** The line it ends on (later than `line` when a quoted value holds line breaks). */
  lastLine: number;
  /** Its first byte's offset in the file. */
  offset: number;
  /** Its text, without the line break that ends it (LF or CRLF). */
  text: string;
  /** CSV only: the file ended inside a quote this record opened. */
  open?: boolean;
  /** Longer than MAX_RECORD_BYTES: its text is not kept (empty), only where it was. */
  tooLong?: boolean;
}

/**
 * The longest record kept: a quote left open near the top of a large file
 * would otherwise hold the rest of the file in memory. A record can be a
 * long text, so the bound is far above any row a model takes.
 */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export interface Position {
  /** The line the first byte starts (1 at the top of a file). */
  line: number;
  /** The first byte's offset in the file (0 at the top). */
  offset: number;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

function quotesIn(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(QUOTE, from); at !== -1 && at < to; at = bytes.indexOf(QUOTE, at + 1)) count++;
  return count;
}

function textOf(parts: readonly Buffer[]): string {
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

/** The source as Buffers, its first one (at the top of a file) at least three bytes long when the file is, so that a BOM is seen whole. */
async function* atLeastBomLong(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, top: boolean): AsyncGenerator<Buffer> {
  let head: Buffer | null = top ? Buffer.alloc(0) : null;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (head === null) {
      yield bytes;
      continue;
    }
    head = Buffer.concat([head, bytes]);
    if (head.length < 3) continue;
    yield head;
    head = null;
  }
  if (head !== null && head.length > 0) yield head;
}

/**
 * The records of a stream of bytes, one array per chunk read (an empty
 * array when a chunk ended no record). `quoted`: CSV's rule, a line break
 * inside quotes does not end a record. A byte-order mark at offset 0 is dropped.
 */
export async function* fileRecords(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, quoted: boolean, start: Position = { line: 1, offset: 0 }): AsyncGenerator<FileRecord[]> {
  let parts: Buffer[] = [];
  let line = start.line;
  let offset = start.offset;
  let recordLine = line;
  let recordOffset = offset;
  let odd = false;
  let kept = 0;
  let tooLong = false;
  /** How many of `parts` are copies already (carried over from earlier chunks). */
  let carried = 0;
  /** The last byte read was a line break: a record still open at the end ended on the line before. */
  let newlineLast = false;
  let first = start.offset === 0;
  const keep = (part: Buffer) => {
    if (tooLong) return;
    kept += part.length;
    if (kept > MAX_RECORD_BYTES) {
      tooLong = true;
      parts = [];
      carried = 0;
    } else parts.push(part);
  };
  const take = (): Pick<FileRecord, 'text' | 'tooLong'> => {
    const taken = tooLong ? { text: '', tooLong: true } : { text: textOf(parts) };
    parts = [];
    carried = 0;
    kept = 0;
    tooLong = false;
    return taken;
  };
  for await (let bytes of atLeastBomLong(source, start.offset === 0)) {
    if (first && bytes.length > 0) {
      first = false;
      // The BOM is not part of the first record; its bytes still count in offsets.
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        bytes = bytes.subarray(3);
        offset += 3;
        recordOffset = offset;
      }
    }
    const out: FileRecord[] = [];
    let from = 0;
    for (;;) {
      const newline = bytes.indexOf(LF, from);
      const end = newline === -1 ? bytes.length : newline;
      if (quoted && quotesIn(bytes, from, end) % 2 === 1) odd = !odd;
      if (newline === -1) {
        if (end > from) keep(bytes.subarray(from));
        offset += end - from;
        break;
      }
      if (odd) {
        // Inside quotes: the line break belongs to the value.
        keep(bytes.subarray(from, newline + 1));
      } else {
        keep(bytes.subarray(from, newline));
        out.push({ line: recordLine, lastLine: line, offset: recordOffset, ...take() });
        recordLine = line + 1;
        recordOffset = offset + (newline + 1 - from);
      }
      offset += newline + 1 - from;
      line++;
      from = newline + 1;
    }
    // This chunk's parts point into it: copied, so the chunk can be freed while a long record grows.
    if (bytes.length > 0) newlineLast = bytes[bytes.length - 1] === LF;
    for (let i = carried; i < parts.length; i++) parts[i] = Buffer.from(parts[i]!);
    carried = parts.length;
    yield out;
  }
  // The last record may have no line break after it; one opened by a quote that never closed is marked.
  if (parts.length > 0 || tooLong) {
    yield [{ line: recordLine, lastLine: newlineLast ? line - 1 : line, offset: recordOffset, ...take(), ...(odd ? { open: true } : {}) }];
  }
}
