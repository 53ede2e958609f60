import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The model store of a deployed stage, from its CloudFormation stack's
 * outputs (serverless.yml's ModelStoreUrl: `s3://<bucket>/<stage>/`), for
 * `npm run model:push -- … --stage <s>`. The stack is the service's
 * (`<service>-<stage>`, as the framework names it).
 */

export const STORE_OUTPUT = 'ModelStoreUrl';

export function serviceName(root: string): string {
  const match = /^service:\s*([A-Za-z0-9-]+)\s*$/m.exec(readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
  if (!match) throw new Error('serverless.yml names no service');
  return match[1]!;
}

export async function stageStore(root: string, stage: string): Promise<string> {
  const stack = `${serviceName(root)}-${stage}`;
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  let outputs: { OutputKey?: string; OutputValue?: string }[] | undefined;
  try {
    const answer = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: stack }));
    outputs = answer.Stacks?.[0]?.Outputs;
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    throw new Error(`the stack ${stack} could not be read (${name ?? 'Error'}: ${message ?? ''}); deploy the stage first, or set MODEL_STORE=s3://bucket/prefix`);
  }
  const url = outputs?.find((o) => o.OutputKey === STORE_OUTPUT)?.OutputValue;
  if (!url) throw new Error(`the stack ${stack} has no ${STORE_OUTPUT} output: the stage was deployed without a model store (param modelStore); set MODEL_STORE=s3://bucket/prefix`);
  return url;
}
