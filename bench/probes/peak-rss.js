// Preloaded (node --require) into a process the bench measures: at exit, its
// peak resident set (VmHWM, MB) and the CPU time it used (user + system, ms),
// as JSON to the file BENCH_PEAK_RSS_FILE names. CPU time is what a run costs
// on a machine other work shares; wall time is what its user waits.
'use strict';
const { writeFileSync } = require('node:fs');
const { status } = require('./proc-status');

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  if (process.env.BENCH_PEAK_RSS_FILE) writeFileSync(process.env.BENCH_PEAK_RSS_FILE, JSON.stringify({ peakRssMb: status('VmHWM'), cpuMs: (user + system) / 1000 }));
});
