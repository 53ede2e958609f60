import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { listStore } from '../lib/repository/store/store-listing';
import { repoRoot } from './helpers/models';
import { scratchModelsDir } from './helpers/models-dir';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { rmSync } from 'node:fs';

/**
 * `npm run model:push -- <name> --stage <s>` finds the stage's model store in
 * its CloudFormation stack's ModelStoreUrl output. CloudFormation cannot run
 * here, so DescribeStacks is answered by a stand-in on 127.0.0.1 (the SDK's
 * AWS_ENDPOINT_URL_CLOUDFORMATION points it there) in the query protocol's
 * XML, as CloudFormation answers; the push itself goes to a real S3 API
 * (s3rver).
 */

const BUCKET = 'ml-inference-stage-store';
const exec = promisify(execFile);

let s3: LocalS3;
let cloudFormation: Server;
let endpoint: string;
const asked: string[] = [];
let outputs: Record<string, string> = {};
let models: string;

function describeStacks(stack: string): string {
  const members = Object.entries(outputs).map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`).join('');
  return `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${stack}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-12-01T00:00:00Z</CreationTime><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></DescribeStacksResponse>`;
}

beforeAll(async () => {
  s3 = await startS3([BUCKET]);
  models = scratchModelsDir(['churn/1.0.0']);
  cloudFormation = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      asked.push(`${form.get('Action')} ${form.get('StackName')}`);
      response.writeHead(200, { 'content-type': 'text/xml' }).end(describeStacks(form.get('StackName') ?? ''));
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => cloudFormation.close(resolve));
  await s3.close();
  rmSync(models, { recursive: true, force: true });
});

const push = (args: string[]) =>
  exec('npm', ['run', '-s', 'model:push', '--', ...args], {
    cwd: repoRoot,
    // No MODEL_STORE: --stage names the store.
    env: { ...process.env, ...s3.env, MODEL_STORE: '', MODELS_DIR: models, AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint },
    timeout: 120_000,
  });

describe('npm run model:push -- --stage', () => {
  it("pushes to the store the stage's stack names in its ModelStoreUrl output", async () => {
    outputs = { ServiceEndpoint: 'https://example.execute-api.us-east-1.amazonaws.com/dev', ModelStoreUrl: `s3://${BUCKET}/dev/` };
    const { stdout } = await push(['churn', '--stage', 'dev']);
    expect(asked).toContain('DescribeStacks ml-inference-dev');
    expect(stdout).toContain(`→ s3://${BUCKET}/dev/churn/1.0.0/`);
    Object.assign(process.env, s3.env);
    const listed = await listStore(BUCKET, 'dev/');
    expect([...listed.versions.keys()]).toEqual(['churn/1.0.0']);
  }, 120_000);

  it('says so, and exits 1, for a stage deployed without a model store', async () => {
    outputs = { ServiceEndpoint: 'https://example.execute-api.us-east-1.amazonaws.com/prod' };
    const failed = await push(['churn', '--stage', 'prod']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('model:push: the stack ml-inference-prod has no ModelStoreUrl output: the stage was deployed without a model store (param modelStore); set MODEL_STORE=s3://bucket/prefix');
  }, 120_000);

  it('without MODEL_STORE or --stage, names both ways and exits 2', async () => {
    const failed = await push(['churn']).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain('no model store: set MODEL_STORE=s3://bucket/prefix, or give --stage <stage>');
  }, 120_000);
});
