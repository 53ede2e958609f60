// Preloaded (node --require) into a process the bench measures: at exit, its
// peak resident set (VmHWM, KiB) and the CPU time it used (user + system, ms),
// as JSON to the file BENCH_PEAK_RSS_FILE names. CPU time is what a run costs
// on a machine other work shares; wall time is what its user waits.
const { readFileSync, writeFileSync } = require('node:fs');

process.on('exit', () => {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  const { user, system } = process.cpuUsage();
  if (line && process.env.BENCH_PEAK_RSS_FILE) {
    writeFileSync(process.env.BENCH_PEAK_RSS_FILE, JSON.stringify({ peakKiB: Number(line.split(/\s+/)[1]), cpuMs: (user + system) / 1000 }));
  }
});
