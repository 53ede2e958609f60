// A stand-in for AWS Step Functions, which cannot run on this machine: the
// SDK's real SFNClient with a request handler in place of the transport (as
// tests/helpers/api-gateway-stand-in.ts does for API Gateway). It reads the
// JSON 1.0 request the client serialized and signed (X-Amz-Target names the
// operation), keeps executions in memory, and answers StartExecution and
// DescribeExecution in the service's wire format; a test moves an execution
// on (finish) as the real state machine would.
import { SFNClient } from '@aws-sdk/client-sfn';

export interface FakeExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
}

export class FakeStepFunctions {
  readonly executions = new Map<string, FakeExecution>();
  /** Every operation the client sent, in order, with its request body. */
  readonly calls: { operation: string; body: Record<string, unknown>; signed: boolean }[] = [];

  client(): SFNClient {
    return new SFNClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDSTANDIN', secretAccessKey: 'stand-in-secret' },
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; body?: unknown }) => {
          const text = request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : String(request.body ?? '');
          const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
          const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
          this.calls.push({ operation, body, signed: /^AWS4-HMAC-SHA256 Credential=AKIDSTANDIN\/\d{8}\/eu-west-1\/states\/aws4_request/.test(request.headers.authorization ?? '') });
          return { response: this.answer(operation, body) };
        },
      },
    });
  }

  private json(statusCode: number, body: unknown) {
    return { statusCode, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify(body)) };
  }

  private answer(operation: string, body: Record<string, unknown>) {
    if (operation === 'StartExecution') {
      const stateMachineArn = String(body.stateMachineArn);
      const name = String(body.name);
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      if (this.executions.has(executionArn)) return this.json(400, { __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${executionArn}'` });
      const startDate = Date.now() / 1000;
      this.executions.set(executionArn, { executionArn, stateMachineArn, name, status: 'RUNNING', input: String(body.input), startDate });
      return this.json(200, { executionArn, startDate });
    }
    if (operation === 'DescribeExecution') {
      const execution = this.executions.get(String(body.executionArn));
      if (!execution) return this.json(400, { __type: 'ExecutionDoesNotExist', message: `Execution Does Not Exist: '${String(body.executionArn)}'` });
      return this.json(200, execution);
    }
    return this.json(400, { __type: 'UnknownOperationException', message: `the stand-in has no ${operation}` });
  }

  /** Ends an execution as the state machine would: its output, or its error and cause. */
  finish(name: string, end: Pick<FakeExecution, 'status'> & Partial<Pick<FakeExecution, 'output' | 'error' | 'cause'>>): void {
    const execution = [...this.executions.values()].find((e) => e.name === name)!;
    Object.assign(execution, end, { stopDate: Date.now() / 1000 });
  }
}
