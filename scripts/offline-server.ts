import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/** A free TCP port on 127.0.0.1, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Offline {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41234/local */
  base: string;
  /** The API key serverless-offline announced as accepted. */
  key: string;
  log: string[];
}

/**
 * Starts serverless-offline for the `local` stage on 127.0.0.1 with free HTTP
 * and lambda ports, in its own process group; resolves once it serves.
 */
export async function startOffline(timeoutMs = 90_000): Promise<Offline> {
  const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [cli, 'offline', 'start', '--stage', 'local', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
    { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' } },
  );
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    let key: string | undefined;
    const fail = (error: Error) => {
      stopProcessGroup(child).finally(() => reject(error));
    };
    const timer = setTimeout(() => fail(new Error(`serverless-offline not ready in ${timeoutMs / 1000} s:\n${log.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      key ??= /Key with token: '([^']+)'/.exec(log.join(''))?.[1];
      if (/Server ready:/.test(log.join(''))) {
        clearTimeout(timer);
        if (!key) fail(new Error('serverless-offline announced no API key'));
        else resolve({ child, base: `http://127.0.0.1:${httpPort}/local`, key, log });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serverless-offline exited with ${code}:\n${log.join('')}`));
    });
  });
}

/** Stops a detached child's whole process group (workers too) and waits for it. */
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
