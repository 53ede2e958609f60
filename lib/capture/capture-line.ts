import type { CapturedPrediction } from './observation';
import type { TextFeatures } from './text-profile';

/**
 * The lines monitoring records (README, "Monitoring"): one per captured
 * record, one per feedback item. Written to the function's log as they are
 * here; a CloudWatch Logs subscription filter selects them by `capture`, a
 * field no access, metric or error line carries, and Kinesis Data Firehose
 * delivers them to S3 partitioned as partitionOf() lays them out — the
 * layout `npm start` writes under CAPTURE_DIR too.
 */

/** The field only capture lines carry, and its values. */
export const CAPTURE_FIELD = 'capture';

export interface InferenceLine {
  capture: 'inference';
  /** The request's inference id (X-Inference-Id), `/<i>` after it for record i of a batch. */
  inference_id: string;
  request_id?: string;
  time: string;
  model: string;
  version: string;
  /** The function family that served it: predict or v2-infer. */
  route: string;
  /** API Gateway's id of the calling key (never the key): feedback joins only to the same key's inferences. */
  api_key_id?: string;
  input: Record<string, unknown>;
  features?: Record<string, TextFeatures>;
  prediction?: CapturedPrediction;
  output?: unknown;
}

export interface FeedbackLine {
  capture: 'feedback';
  inference_id: string;
  request_id?: string;
  time: string;
  model: string;
  api_key_id?: string;
  actual: string | number | boolean;
}

export type CaptureLine = InferenceLine | FeedbackLine;

/** The day of an ISO time, as the partitions name it. */
export const dayOf = (time: string): string => time.slice(0, 10);

/**
 * Where a line lies, under the bucket or CAPTURE_DIR:
 * captures/<capture>/model=<m>/version=<v>/date=<YYYY-MM-DD>/ (feedback has
 * no version: `_`). The same keys Firehose's dynamic partitioning extracts.
 */
export function partitionOf(line: CaptureLine): string {
  const version = line.capture === 'inference' ? line.version : '_';
  return `captures/${line.capture}/model=${line.model}/version=${version}/date=${dayOf(line.time)}`;
}
