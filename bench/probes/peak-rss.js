// Preloaded (node --require) into a process the bench measures: at exit, its
// peak resident set (VmHWM, KiB) written to the file BENCH_PEAK_RSS_FILE names.
const { readFileSync, writeFileSync } = require('node:fs');

process.on('exit', () => {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  if (line && process.env.BENCH_PEAK_RSS_FILE) writeFileSync(process.env.BENCH_PEAK_RSS_FILE, line.split(/\s+/)[1]);
});
