import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/**
 * A real S3 API for a test: s3rver (an S3-compatible server from npm) on
 * 127.0.0.1, its objects in a scratch folder. `env` points the AWS SDK at it
 * (AWS_ENDPOINT_URL_S3, the SDK's standard variable, which lib/s3.ts
 * addresses path-style). `restart` stops it and starts it again on the same
 * port and folder: S3 unreachable for a while, then back.
 */
export interface LocalS3 {
  endpoint: string;
  env: Record<string, string>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(buckets: readonly string[]): Promise<LocalS3> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const options = (port: number) => ({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  let server: S3rver | undefined = new S3rver(options(0));
  const { port } = (await server.run()) as unknown as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    // s3rver 3.7 predates the SDK's default request checksums (aws-chunked bodies): only where S3 requires one.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
  const stop = async () => {
    await server?.close();
    server = undefined;
  };
  return {
    endpoint,
    env,
    stop,
    async restart() {
      await stop();
      server = new S3rver(options(port));
      await server.run();
    },
    async close() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
