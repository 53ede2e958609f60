// One monitor run (lib/monitoring/monitor.ts, runMonitor) over a folder of
// capture and feedback lines, in a process of its own so that its peak RSS
// is the run's. Bundled by bench/monitor.ts; run with --expose-gc.
// argv: <store folder> run | retained | join <feedback files>
//   run:  the whole run (churn, a 24 h window ending now); prints its stats,
//         the time the feedback phase took, VmHWM, and heapUsed before the
//         run (after a full GC) and the highest seen at each file read (not
//         collected first, so it includes garbage).
//   retained: the same run with a full GC before each file read: the
//         highest heapUsed is what the run holds between files (feedback
//         map, joined pairs, bins), not what V8 had yet to collect. Untimed.
//   join: only the first <feedback files> feedback files and no inference:
//         heapUsed after a full GC before the run and again at the moment
//         the monitor lists the inference partitions, when the feedback map
//         is complete and still referenced by runMonitor: the difference is
//         what the join holds for those items.
// Prints BENCH-RESULT {...}.
import { readFileSync } from 'node:fs';
import { baselineFromModels } from '../../lib/dataplane/baselines';
import { runMonitor } from '../../lib/monitoring/monitor';
import { folderStore, type Store } from '../../lib/monitoring/store';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const [dir, mode, files] = process.argv.slice(2);
const limit = mode === 'join' ? Number(files) : undefined;
const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;
const statusMb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;

async function main(): Promise<void> {
  const base = folderStore(dir!);
  let started = 0;
  let feedbackMs = 0;
  let heapJoinedMb = NaN;
  let heapPeakMb = 0;
  const store: Store = {
    location: base.location,
    async list(prefix) {
      if (prefix.startsWith('captures/inference/')) {
        // The feedback phase is over; the map is built.
        feedbackMs = performance.now() - started;
        if (mode === 'join') {
          gc!();
          heapJoinedMb = heapMb();
          return [];
        }
      }
      const keys = await base.list(prefix);
      return limit !== undefined && prefix.startsWith('captures/feedback/') ? keys.slice(0, limit) : keys;
    },
    async read(key) {
      if (mode === 'retained') gc!();
      heapPeakMb = Math.max(heapPeakMb, heapMb());
      return base.read(key);
    },
    write: base.write,
  };
  // Load the baseline once before timing: it is read on the first line, and its sha256 check is not the run's work.
  await baselineFromModels('churn', '1.0.0');
  gc!();
  const rssBeforeMb = statusMb('VmRSS');
  const heapBeforeMb = heapMb();
  started = performance.now();
  const run = await runMonitor({ store, model: 'churn', hours: 24, now: new Date(), baselineOf: baselineFromModels });
  const ms = performance.now() - started;
  if (mode === 'retained') gc!();
  heapPeakMb = Math.max(heapPeakMb, heapMb());
  const report = run.reports[0];
  const result = {
    ...run.stats,
    ms,
    feedbackMs,
    rssBeforeMb,
    peakRssMb: statusMb('VmHWM'),
    heapBeforeMb,
    heapPeakMb,
    heapJoinedMb,
    report: report ? { records: report.records, drifting: report.drifting, joined: report.quality.joined, rocAuc: report.quality.roc_auc ?? null } : null,
  };
  process.stdout.write(`BENCH-RESULT ${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
