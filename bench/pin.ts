import { execFileSync, spawnSync, type ExecFileSyncOptions } from 'node:child_process';

/**
 * Where the measured processes run. Lambda gives a function at most one vCPU
 * up to 1,769 MB (~0.58 at our 1,024 MB), so both stacks are measured on one
 * CPU (`taskset -c <cpu>`, BENCH_CPU, default 0): work overlapped on a second
 * core would be a gain there is no such core for. Without taskset (not Linux),
 * the processes run unpinned and results.json says so.
 */
export interface Pinned {
  /** The CPU both stacks run on, or null when they could not be pinned. */
  cpu: number | null;
  /** The command prefix, e.g. "taskset -c 0", or null. */
  command: string | null;
  /** Runs `file args` on that CPU and returns its stdout. */
  run(file: string, args: readonly string[], options?: ExecFileSyncOptions): string;
}

export function pinning(): Pinned {
  const cpu = Number(process.env.BENCH_CPU ?? 0);
  const prefix = ['taskset', '-c', String(cpu)];
  const available = Number.isInteger(cpu) && cpu >= 0 && spawnSync(prefix[0]!, [...prefix.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
  const run = (file: string, args: readonly string[], options: ExecFileSyncOptions = {}) => {
    const [command, ...rest] = available ? [...prefix, file, ...args] : [file, ...args];
    return execFileSync(command!, rest, { maxBuffer: 256 * 1024 * 1024, ...options, encoding: 'utf8' }) as string;
  };
  return { cpu: available ? cpu : null, command: available ? prefix.join(' ') : null, run };
}
