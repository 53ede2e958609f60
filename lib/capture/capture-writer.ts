import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { logger } from '../logger';
import { settings } from '../settings';
import { partitionOf, type CaptureLine } from './capture-line';
import { sha256Hex } from '../sha256';

/**
 * A line longer than this keeps its summary only: CloudWatch Logs refuses
 * events over 256 KB, and a capture line is one event. Values are already
 * summarised field by field (./summary.ts); this bounds what many fields
 * could still add up to.
 */
export const MAX_LINE_BYTES = 64 * 1024;

function bounded(line: CaptureLine): string {
  const text = JSON.stringify(line);
  if (Buffer.byteLength(text) <= MAX_LINE_BYTES || line.capture !== 'inference') return text;
  const summary = (value: unknown) => {
    const json = JSON.stringify(value) ?? '';
    return { summary: { bytes: Buffer.byteLength(json), sha256: sha256Hex(json) } };
  };
  return JSON.stringify({ ...line, input: summary(line.input), output: summary(line.output) });
}

/** One file per writer process and partition: workers of `npm start` never interleave writes in one file. */
const fileName = () => `${path.basename(settings.lambdaHandler().split('.')[0] ?? 'function')}-${process.pid}.jsonl`;

/**
 * Writes capture lines to the function's log, one line each, straight to
 * stdout: not through the logger, whose level (POWERTOOLS_LOG_LEVEL=WARN)
 * must not switch capture off and whose fields the lines do not need. With
 * CAPTURE_DIR set (npm start) the lines are appended to that folder too, in
 * the S3 layout. No network call: the log is shipped by the platform.
 */
export function writeCaptureLines(lines: readonly CaptureLine[]): void {
  const texts = lines.map(bounded);
  for (const text of texts) process.stdout.write(`${text}\n`);
  const dir = settings.captureDir();
  if (dir === undefined) return;
  const byPartition = new Map<string, string[]>();
  lines.forEach((line, i) => {
    const partition = partitionOf(line);
    const group = byPartition.get(partition);
    if (group) group.push(texts[i]!);
    else byPartition.set(partition, [texts[i]!]);
  });
  for (const [partition, group] of byPartition) {
    try {
      const folder = path.join(dir, partition);
      mkdirSync(folder, { recursive: true });
      appendFileSync(path.join(folder, fileName()), `${group.join('\n')}\n`);
    } catch (error) {
      // The answer is already made; a full disk must not turn it into an error. The lines are in the log.
      logger.warn('capture lines not written to CAPTURE_DIR', { reason: (error as NodeJS.ErrnoException).code ?? 'error' });
    }
  }
}
