import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256Hex } from '../lib/sha256';
import { pushModel } from '../scripts/model-push/push';
import { freePort } from '../scripts/free-port';
import type { LargeModelBench, LoadFigure } from './large-model';

/**
 * The large model's cold start from the model store (README, "Large
 * models"): pushed with model:push to s3rver (an S3-compatible server from
 * npm) on 127.0.0.1, in a process of its own, and served by the packaged
 * predict handler with MODEL_STORE set: each fresh process lists the store,
 * downloads the model into /tmp (ranged GETs, checked as they arrive) and
 * loads it from its path. Loopback is far faster than Lambda's network to
 * S3: BENCHMARKS.md says what that changes.
 */

const BUCKET = 'bench-models';
const root = path.resolve(__dirname, '..');

async function listening(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket.end() !== undefined));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`s3rver did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

export async function fromLocalStore(bench: LargeModelBench): Promise<LoadFigure> {
  const data = mkdtempSync(path.join(tmpdir(), 'bench-s3rver-'));
  const port = await freePort();
  const server: ChildProcess = spawn(process.execPath, [path.join(root, 'node_modules/s3rver/bin/s3rver.js'), '-d', data, '-a', '127.0.0.1', '-p', String(port), '-s', '--configure-bucket', BUCKET], { stdio: 'ignore' });
  const s3Env = {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    // s3rver 3.7 predates the SDK's default request checksums.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  const store = `s3://${BUCKET}/bench/`;
  // MODELS_DIR pointing at no models: whatever it holds, the store is served.
  const empty = mkdtempSync(path.join(tmpdir(), 'bench-no-models-'));
  try {
    await listening(port, 15_000);
    Object.assign(process.env, s3Env);
    await pushModel(store, bench.modelsDir, bench.manifest.name);
    return await bench.measureLoad('the local S3 store (MODEL_STORE, s3rver on loopback)', async () => ({
      env: { ...s3Env, MODEL_STORE: store, MODELS_DIR: empty },
      // Each run's mirror in /tmp (lib/repository/store/model-store.ts: model-store/<hash of the URL>-<pid>-<random>).
      cleanup: () => {
        const mirrors = path.join(tmpdir(), 'model-store');
        for (const dir of readdirSync(mirrors).filter((d) => d.startsWith(sha256Hex(store).slice(0, 12)))) rmSync(path.join(mirrors, dir), { recursive: true, force: true });
      },
    }));
  } finally {
    server.kill();
    rmSync(data, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}
