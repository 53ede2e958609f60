// serverless-offline as `npm start` runs it: in a process group of its own,
// so that a Ctrl-C or a SIGTERM to npm start reaches the gateway alone, which
// then finishes what is in flight before it stops serverless-offline (a
// signal to the whole group stopped serverless-offline at once and its
// in-flight requests got 502). The child is this same bundle started with
// CHILD_FLAG (npm start bundles it to .local-gateway/main.js, not under
// .esbuild/, which serverless-esbuild clears): it runs the serverless CLI
// in-process and exits as soon as its
// stdin closes, that is when the gateway is gone, however it went (even
// SIGKILL), so no serverless-offline outlives npm start.
import { spawn, type ChildProcess } from 'node:child_process';

const CHILD_FLAG = '--serverless-offline-child';

/** Runs the child's part when this process is the child; true then. */
export function runAsOfflineChild(): boolean {
  const at = process.argv.indexOf(CHILD_FLAG);
  if (at < 0) return false;
  const [cli, ...args] = process.argv.slice(at + 1);
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
  // The CLI reads its arguments from process.argv when it loads.
  process.argv = [process.argv[0]!, cli!, ...args];
  require(cli!);
  return true;
}

/** Starts serverless-offline (`cli` with `args`) in its own process group, tied to this process by its stdin. */
export function startOffline(cli: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, [process.argv[1]!, CHILD_FLAG, cli, ...args], { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}
