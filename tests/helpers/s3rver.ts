import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

/**
 * A real S3 API for a test file: s3rver (npm) on 127.0.0.1 with these
 * buckets, in a scratch folder, and this process's AWS SDK pointed at it
 * (AWS_ENDPOINT_URL_S3; lib/monitoring/store.ts then addresses it
 * path-style). Stop it with close().
 */
export async function startS3rver(buckets: readonly string[]): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const data = mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: data, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const { port } = (await server.run()) as unknown as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    // s3rver 3.7 predates the SDK's default request checksums (aws-chunked bodies): only where S3 requires one.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    close: async () => {
      await server.close();
      rmSync(data, { recursive: true, force: true });
    },
  };
}
