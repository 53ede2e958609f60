import type { S3Location } from './locations';
import type { BatchFormat } from '../batch';

export type { BatchFormat };

/**
 * A batch job as the state machine carries it (resources/batch.js): the
 * execution's input is {job}, named by the job's id. Everything a step needs
 * to find the data is here; no row ever is (Step Functions' 256 KB state).
 */
export interface Job {
  /** A UUID: the execution's name. */
  id: string;
  /** lib/caller.ts's id of the key that started it: only that caller may GET it. */
  owner: string;
  /** The model, and the one version every range is scored with (resolved when the job starts: a label's, or the split's most served), and the label the request named. */
  model: { name: string; version: string; label?: string };
  /** A CSV or JSON-lines object; for `source: 'images'`, a prefix ending in "/" whose pictures are scored. */
  input: S3Location;
  /** 'images': the input is a prefix of pictures, one row each (README, "Batch scoring"); absent: a file of records. */
  source?: 'images';
  /** The job's own folder: the request's output prefix, then the job id and "/". */
  output: S3Location;
  format: BatchFormat;
  /** The caller's plan's records per UTC day, and the day (yyyy-mm-dd) the job counts against. */
  recordLimit: number;
  day: string;
}

/**
 * One byte range of the input, as the plan writes it (ranges.json) and the
 * Distributed Map hands it to a scoring run. For a prefix of pictures, a
 * byte range of the job's listing (files.jsonl: a {file, size} line per
 * picture), its "lines" the pictures' places in the listing.
 */
export interface Range {
  /** 0, 1, 2 …: the part's place in the output. */
  range: number;
  /** Its first byte (a row's first) and the byte after its last. */
  start: number;
  end: number;
  /** The line the range's first row starts on. */
  line: number;
  /** Rows (records) it holds. */
  rows: number;
}

/** What the plan step answers (the state's $.plan.value). */
export interface Plan {
  /** The CSV header's column names (null for JSON lines): the ranges start past it. */
  header: string[] | null;
  ranges: S3Location;
  rangeCount: number;
  records: number;
  /** Where the Distributed Map's ResultWriter writes. */
  results: { bucket: string; prefix: string };
  /** For a prefix of pictures: what was listed and not scored, as a folder is read locally (lib/batch/image-files.ts). */
  skipped?: Skipped;
}

/** Objects under a prefix of pictures that are not scored: "subfolders" (keys past a further "/") and hidden names (starting with "."). */
export interface Skipped {
  folders: number;
  hidden: number;
}

/** What one scoring run answers, per range: the rows written and the errors among them. */
export interface RangeResult {
  range: number;
  rows: number;
  errors: number;
  errorsByCode: Record<string, number>;
}

/** What the finish step answers: the execution's output, and summary.json. */
export interface Summary {
  records: number;
  scored: number;
  errors: number;
  errorsByCode: Record<string, number>;
  /** Ranges whose scoring run failed (after Step Functions' retries): their rows are not in the output. */
  failedRanges: { range: number; line: number; rows: number }[];
  output: S3Location;
  /** For a prefix of pictures: the plan's Skipped. */
  skipped?: Skipped;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The execution ARN of a job: Step Functions names it after the state machine and the execution's name. */
export const executionArn = (stateMachineArn: string, id: string): string => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;

/** The job's files, under its folder. */
export const jobFiles = (job: Pick<Job, 'output' | 'format'>) => {
  const at = (key: string): S3Location => ({ bucket: job.output.bucket, key: `${job.output.key}${key}` });
  return {
    ranges: at('ranges.json'),
    /** A prefix of pictures' listing: one {file, size} JSON line per picture, in S3's key order. */
    listing: at('files.jsonl'),
    part: (range: number) => at(`parts/${String(range).padStart(6, '0')}.${job.format}`),
    results: at('results/'),
    scores: at(`scores.${job.format}`),
    summary: at('summary.json'),
  };
};
