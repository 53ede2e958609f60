#!/usr/bin/env node
// Restores package-lock.json entries for other platforms' optional native
// packages (@swc/core-*, @unrs/resolver-binding-*) that npm could not record
// here: the registry this machine reaches answers 404 for those versions, so
// `npm install` leaves them out and `npm ci` then refuses the lock as out of
// sync. Each stub carries the version its parent pins and the os/cpu/libc its
// name states, so npm ci skips it on other platforms and installs it from
// the full registry on its own. Run after any `npm install`:
//   node scripts/lock-platform-stubs.js
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32'];
const CPU = { arm: 'arm', arm64: 'arm64', ia32: 'ia32', x64: 'x64', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };

/** os, cpu and libc from a platform package's name, e.g. core-linux-arm-musleabihf. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  if (!os || !cpu) return undefined;
  const libc = os !== 'linux' ? undefined : parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc';
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${dep}`;
    if (lock.packages[target]) continue;
    const platform = platformOf(dep);
    if (!platform) throw new Error(`lock-platform-stubs: cannot tell the platform of ${dep} (needed by ${key})`);
    lock.packages[target] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
    added++;
  }
}
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platform-stubs: added ${added} entr${added === 1 ? 'y' : 'ies'}`);
