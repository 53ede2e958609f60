// The compiled CloudFormation of the `local` stage, from `serverless package`
// — the one source of what the local gateway enforces. Packaging takes
// seconds, so the result is kept under .local-gateway/<hash>/, the hash of
// everything the template is compiled from: serverless.yml, resources/, the
// CLI's version and the --param arguments.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Compiled {
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  /** provider.logs.restApi.format of the stage, if access logging is on. */
  accessLogFormat?: string;
  /** Where it was read from, and whether this start compiled it. */
  folder: string;
  fresh: boolean;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

export function templateHash(root: string, stage: string, params: string[]): string {
  const hash = createHash('sha256');
  const cli = require.resolve('serverless/package.json', { paths: [root] });
  for (const file of [path.join(root, 'serverless.yml'), cli, ...filesUnder(path.join(root, 'resources'))]) {
    hash.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(JSON.stringify({ stage, params }));
  return hash.digest('hex').slice(0, 16);
}

const TEMPLATE = 'cloudformation-template-update-stack.json';
/** Compilations kept: a few sets of --param (tests use some) without growing forever. */
const KEEP = 8;

function pruneOlder(cache: string, keep: number): void {
  const entries = readdirSync(cache)
    .map((name) => ({ name, mtime: statSync(path.join(cache, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of entries.slice(keep - 1)) rmSync(path.join(cache, name), { recursive: true, force: true });
}

/** `env`: the environment `serverless package` runs in (npm start leaves the shell's settings out of it). */
export async function compiledTemplate(root: string, stage: string, params: string[], env: NodeJS.ProcessEnv = process.env): Promise<Compiled> {
  const cache = path.join(root, '.local-gateway');
  const folder = path.join(cache, templateHash(root, stage, params));
  const fresh = !existsSync(path.join(folder, TEMPLATE));
  if (fresh) {
    const cli = require.resolve('serverless/bin/serverless.js', { paths: [root] });
    mkdirSync(cache, { recursive: true });
    pruneOlder(cache, KEEP);
    const building = `${folder}.building-${process.pid}`;
    // `timeout`: the CLI can print an error and then hang (TOOLCHAIN.md).
    await run('timeout', ['300', process.execPath, cli, 'package', '--stage', stage, '--package', building, ...params.map((p) => `--param=${p}`)], {
      cwd: root,
      env: { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`serverless package --stage ${stage} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    // Only the template and the state are needed: drop the zips.
    mkdirSync(folder);
    for (const name of [TEMPLATE, 'serverless-state.json']) renameSync(path.join(building, name), path.join(folder, name));
    rmSync(building, { recursive: true, force: true });
  }
  const template = JSON.parse(readFileSync(path.join(folder, TEMPLATE), 'utf8')) as Compiled['template'];
  const state = JSON.parse(readFileSync(path.join(folder, 'serverless-state.json'), 'utf8')) as {
    service: { provider: { logs?: { restApi?: { accessLogging?: boolean; format?: string } } } };
  };
  const restApi = state.service.provider.logs?.restApi;
  return { template, accessLogFormat: restApi?.accessLogging === false ? undefined : restApi?.format, folder, fresh };
}
