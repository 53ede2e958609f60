// npm run bench:soak: the local API (npm start) under many connections for a
// bounded time, on 127.0.0.1 only: what each answer's status was, and the
// resident memory of the gateway and serverless-offline after the run and
// once idle. Reserved concurrency is raised past the connection count, so a
// 5xx can only be a fault. Never run by the tests (a minute of load is not a
// unit of CI); its figures go into the issue notes and BENCHMARKS.md.
//
//   npm run bench:soak [-- seconds connections]      (defaults 60 50)
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { startLocalApi, stopProcessGroup } from '../scripts/local-api';

const root = path.resolve(__dirname, '..');
const seconds = Number(process.argv[2] ?? 60);
const connections = Number(process.argv[3] ?? 50);
/** A hard bound beside the time: no run sends more than this. */
const MAX_REQUESTS = 2_000_000;

/** The child processes of a process (from /proc). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident memory of one process, in MB (from /proc). */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Resident memory of a process and all its descendants (serverless-offline and its workers), in MB. */
function treeRssMb(pid: number): number {
  const walk = (p: number): number => rssMb(p) + childrenOf(p).reduce((sum, c) => sum + walk(c), 0);
  return Math.round(walk(pid) * 10) / 10;
}

const memory = (group: { gateway?: number; offline?: number }) => ({ gateway: Math.round(rssMb(group.gateway!) * 10) / 10, offline: treeRssMb(group.offline!) });

/** The gateway's node process and serverless-offline's, among npm start's descendants, by their command lines. */
function processes(top: number): { gateway?: number; offline?: number } {
  const found: { gateway?: number; offline?: number } = {};
  const visit = (pid: number) => {
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      return;
    }
    // The shell npm runs the script in names the bundle too: only node processes count.
    const node = command.startsWith(process.execPath) || command.startsWith('node ');
    if (node && command.includes('--serverless-offline-child')) found.offline ??= pid;
    else if (node && command.includes('.local-gateway/main.js')) found.gateway ??= pid;
    for (const child of childrenOf(pid)) visit(child);
  };
  visit(top);
  return found;
}

async function main(): Promise<void> {
  const api = await startLocalApi({ params: [`reservedConcurrency=${connections + 10}`, 'proRateLimit=100000', 'proBurstLimit=100000'] });
  try {
    const base = new URL(api.base);
    if (base.hostname !== '127.0.0.1') throw new Error(`the soak aims at 127.0.0.1 only, not ${base.hostname}`);
    const key = api.keys['ml-inference-local-pro']!;
    const customer = readFileSync(path.join(root, 'examples', 'customer.json'), 'utf8');
    const group = processes(api.child.pid!);
    const idleBefore = memory(group);
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const statuses = new Map<number, number>();
    let sent = 0;
    const until = Date.now() + seconds * 1000;
    const post = () =>
      new Promise<number>((resolve) => {
        const req = request(`${api.base}/predict`, { method: 'POST', agent, headers: { 'x-api-key': key, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(customer);
      });
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (Date.now() < until && sent < MAX_REQUESTS) {
          sent += 1;
          const status = await post();
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    agent.destroy();
    const afterRun = memory(group);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const idleAfter = memory(group);
    const fiveXx = [...statuses].filter(([s]) => s >= 500 || s === 0).reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(
      `${JSON.stringify({ seconds, connections, requests: sent, perSecond: Math.round(sent / seconds), statuses: Object.fromEntries(statuses), fiveXx, rssMb: { idleBefore, afterRun, idleAfter } }, null, 2)}\n`,
    );
    if (fiveXx > 0) process.exitCode = 1;
  } finally {
    await stopProcessGroup(api.child);
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench:soak: ${error.message}\n`);
  process.exit(1);
});
