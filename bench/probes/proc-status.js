// A figure of this process's /proc/self/status in MB (VmRSS, VmHWM, ...), for
// the onnxruntime probes. This process's own: getrusage's maxrss would start
// from the parent's at fork.
'use strict';
const { readFileSync } = require('node:fs');

module.exports.status = (key) => {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return Number(/(\d+)/.exec(line)[1]) / 1024;
};
