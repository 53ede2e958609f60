import { spawnSync } from 'node:child_process';

/**
 * The one command that installs what the baseline needs: Debian's Python
 * packages (README, "Performance"; bench/baseline/README.md give the same).
 */
export const BASELINE_INSTALL = 'apt-get install -y python3-sklearn python3-pandas python3-flask gunicorn';

/** The interpreter the baseline runs on: Debian's, which has those packages (BENCH_PYTHON overrides it). */
export const baselinePython = (): string => process.env.BENCH_PYTHON ?? '/usr/bin/python3';

/**
 * Whether `python` can import everything the baseline uses (scikit-learn,
 * pandas, Flask, gunicorn). The bench measures the two stacks side by side or
 * not at all: without these it prints BASELINE_INSTALL and stops.
 */
export function baselineAvailable(python: string): boolean {
  const check = spawnSync(python, ['-c', 'import sklearn, pandas, flask, gunicorn'], { stdio: 'ignore', timeout: 60_000 });
  return check.status === 0;
}
