// Starts the local API exactly as a user does (`npm start`), on free ports,
// for tests and the benchmark; reads what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DOCUMENTED_SETTINGS } from '../lib/settings';
import { freePort } from './free-port';
import { stopProcessGroup } from './process-group';

export { freePort, stopProcessGroup };

const root = path.resolve(__dirname, '..');

export interface LocalApi {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41234/local */
  base: string;
  /** Every key `npm start` printed, by key name (ml-inference-local-free, …). */
  keys: Record<string, string>;
  /** Everything it wrote, stdout and stderr, as it arrived. */
  log: string[];
}

export interface StartOptions {
  /** --param=name=value arguments, e.g. ['freeQuotaLimit=3']. */
  params?: string[];
  /** The functions' settings, as a user gives them in the shell (README, "Settings"), e.g. {MODELS_DIR: dir}. */
  settings?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * This process's environment without the functions' documented settings:
 * `npm start` hands the shell's to the functions, and a test process has its
 * own (tests/setup-env.js sets a silent log level) that must not leak in.
 */
export function environmentWithoutSettings(): NodeJS.ProcessEnv {
  const documented = new Set(DOCUMENTED_SETTINGS);
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !documented.has(name)));
}

/**
 * `npm start` with PORT and LAMBDA_PORT set to free ports and only the given
 * settings, in its own process group; resolves once it prints that it is ready.
 */
export async function startLocalApi({ params = [], settings = {}, timeoutMs = 120_000 }: StartOptions = {}): Promise<LocalApi> {
  const [port, lambdaPort] = [await freePort(), await freePort()];
  const child = spawn('npm', ['start', '--silent', '--', ...params.map((p) => `--param=${p}`)], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...environmentWithoutSettings(), ...settings, PORT: String(port), LAMBDA_PORT: String(lambdaPort), SLS_TELEMETRY_DISABLED: '1' },
  });
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => void stopProcessGroup(child).finally(() => reject(error));
    const timer = setTimeout(() => fail(new Error(`npm start not ready in ${timeoutMs / 1000} s:\n${log.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const text = log.join('');
      const ready = /Local API ready: (\S+)/.exec(text);
      // The banner is one write; wait for its last line.
      if (ready && /^Docs: /m.test(text)) {
        clearTimeout(timer);
        const keys = Object.fromEntries([...text.matchAll(/^ {2}key (\S+): (\S+)/gm)].map((m) => [m[1]!, m[2]!]));
        resolve({ child, base: ready[1]!, keys, log });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${log.join('')}`));
    });
  });
}

