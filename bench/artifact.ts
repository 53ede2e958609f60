// What npm run bench and npm run bench:ablations share: the packaged
// artifact, the functions' environments as its template sets them, and
// running a probe over it on the pinned CPU.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Manifest } from '../lib/kinds';
import type { Pinned } from './pin';

export const root = path.resolve(__dirname, '..');

/** `serverless package` for the dev stage, as CI does, unzipped into a scratch task root (as Lambda's /var/task). */
export function packageArtifact(): { zip: string; memoryMb: number; artifactDir: string; taskRoot: string } {
  const out = path.join(root, '.artifacts', 'bench');
  const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
  execFileSync('timeout', ['300', process.execPath, cli, 'package', '--stage', 'dev', '--package', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const state = JSON.parse(readFileSync(path.join(out, 'serverless-state.json'), 'utf8')) as { service: { provider: { memorySize: number } } };
  const zip = path.join(out, 'ml-inference.zip');
  const taskRoot = mkdtempSync(path.join(tmpdir(), 'bench-task-'));
  execFileSync('unzip', ['-q', zip, '-d', taskRoot]);
  return { zip, memoryMb: state.service.provider.memorySize, artifactDir: out, taskRoot };
}

/**
 * `npm run model:add -- <file> --name <name> [flags]` into `modelsDir`, in a process
 * of its own (as a user runs it; the bench's own process never loads the
 * model); the version's manifest.
 */
export function modelAdd(file: string, name: string, modelsDir: string, flags: readonly string[] = []): Manifest {
  const bundle = path.join(root, '.esbuild/model-add.js');
  execFileSync(path.join(root, 'node_modules/.bin/esbuild'), [
    path.join(root, 'scripts/model-add/main.ts'), '--bundle', '--platform=node', '--target=node20', '--external:onnxruntime-node', '--external:onnxruntime-common', '--external:sharp', `--outfile=${bundle}`, '--log-level=warning',
  ]);
  execFileSync(process.execPath, [bundle, file, '--name', name, ...flags], { cwd: root, env: { ...process.env, MODELS_DIR: modelsDir }, stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(path.join(modelsDir, name, '1.0.0', 'model.json'), 'utf8')) as Manifest;
}

export const bytesIn = (dir: string) => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

/**
 * Runs a probe on the pinned CPU; its figures are the BENCH-RESULT line
 * after whatever the handler logged. Its stdout goes to a file, as to a log
 * collector reading on another CPU: a pipe read by this process would wake it
 * on every line and charge that switch to the handler. processMs: spawn to
 * exit, as this process saw it; spawnedNs: CLOCK_MONOTONIC just before.
 */
export function childJson<T>(pinned: Pinned, args: string[], env: Record<string, string>, input?: string): { result: T; processMs: number; spawnedNs: bigint } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-out-'));
  const file = path.join(dir, 'stdout');
  const fd = openSync(file, 'w');
  try {
    const spawnedNs = process.hrtime.bigint();
    const started = performance.now();
    pinned.run(process.execPath, args, { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '', ...env }, input, stdio: ['pipe', fd, 'inherit'] });
    const processMs = performance.now() - started;
    const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('BENCH-RESULT '));
    if (!line) throw new Error(`${path.basename(args[0]!)} printed no BENCH-RESULT line`);
    return { result: JSON.parse(line.slice('BENCH-RESULT '.length)) as T, processMs, spawnedNs };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

type Template = { Resources: Record<string, { Type: string; Properties: { Handler?: string; Environment?: { Variables: Record<string, string> } } }> };

/** Each function's environment as the packaged template sets it, by handler file (predict, health, ...). */
export function functionEnvironments(artifactDir: string): Record<string, Record<string, string>> {
  const t = JSON.parse(readFileSync(path.join(artifactDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  return Object.fromEntries(
    Object.values(t.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler?.startsWith('handlers/'))
      .map((r) => [r.Properties.Handler!.slice('handlers/'.length).split('.')[0]!, r.Properties.Environment!.Variables]),
  );
}

const TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8';
/** Trace headers of a request X-Ray does not sample (most) and of one it does. */
export const UNSAMPLED = `${TRACE_ID};Sampled=0`;
export const SAMPLED = `${TRACE_ID};Sampled=1`;

/** What Lambda adds for a function with active tracing, and the trace header of a request. */
export function lambdaTracing(handler: string, taskRoot: string, xrayPort: number, traceId: string): Record<string, string> {
  return {
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${handler}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: `handlers/${handler}.handler`,
    AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xrayPort}`,
    _X_AMZN_TRACE_ID: traceId,
  };
}

/** The parity customers (the held-out split as the API receives them). */
export function customers(): Record<string, unknown>[] {
  const fixture = JSON.parse(readFileSync(path.join(root, 'models/churn/1.0.0/parity.json'), 'utf8')) as { cases: { input: Record<string, unknown> }[] };
  return fixture.cases.map((c) => c.input);
}
