import type { ChildProcess } from 'node:child_process';

/**
 * Stops a detached child's whole process group (its own children too):
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited.
 * Used by the tests and the bench for `npm start`, and by `npm start` for
 * serverless-offline.
 */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const killer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
