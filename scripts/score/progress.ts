import type { Progress } from './run';

/**
 * The scorer's progress on standard error: on a terminal, a bar redrawn in
 * place with rows/s and the time left (estimated from the bytes read, the
 * one measure known in advance); otherwise plain lines, one per tenth of
 * the file at most once a second, and the last, so a log of the run stays short.
 */

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressView {
  update(progress: Progress): void;
  /** The last line: 100 %, the rows and the rate. */
  done(progress: Progress): void;
}

const REDRAW_MS = 100;
const PLAIN_MS = 1000;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function figures(progress: Progress): { share: number; rate: number; eta: number | null } {
  const share = progress.totalBytes > 0 ? Math.min(1, progress.bytesRead / progress.totalBytes) : 1;
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? progress.rows / seconds : 0;
  const eta = share > 0 && share < 1 ? (progress.elapsedMs * (1 - share)) / share : null;
  return { share, rate, eta };
}

function bar(share: number, width: number): string {
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

export function progressView(sink: ProgressSink, label: string): ProgressView {
  let lastDraw = -Infinity;
  let lastStep = 0;
  const line = (progress: Progress, final: boolean) => {
    const { share, rate, eta } = figures(progress);
    const tail = final ? `in ${duration(progress.elapsedMs)}` : `ETA ${eta === null ? '…' : duration(eta)}`;
    return { share, text: `${count(progress.rows)} rows  ${count(rate)} rows/s  ${tail}` };
  };
  if (sink.isTTY) {
    const draw = (progress: Progress, final: boolean) => {
      const { share, text } = line(progress, final);
      const width = Math.max(10, Math.min(40, (sink.columns ?? 80) - label.length - text.length - 12));
      sink.write(`\r\x1b[K${label} ${bar(final ? 1 : share, width)} ${String(Math.floor((final ? 1 : share) * 100)).padStart(3)}%  ${text}${final ? '\n' : ''}`);
    };
    return {
      update(progress) {
        if (progress.elapsedMs - lastDraw < REDRAW_MS) return;
        lastDraw = progress.elapsedMs;
        draw(progress, false);
      },
      done: (progress) => draw(progress, true),
    };
  }
  return {
    update(progress) {
      const { share, text } = line(progress, false);
      const step = Math.floor(share * 10);
      // 100 % is the last line's, done().
      if (step <= lastStep || step >= 10 || progress.elapsedMs - lastDraw < PLAIN_MS) return;
      lastStep = step;
      lastDraw = progress.elapsedMs;
      sink.write(`${label}: ${step * 10}%  ${text}\n`);
    },
    done(progress) {
      sink.write(`${label}: 100%  ${line(progress, true).text}\n`);
    },
  };
}
