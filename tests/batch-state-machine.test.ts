import aslValidator from 'asl-validator';

/**
 * The batch state machine's definition (resources/batch.js) against the
 * Amazon States Language, with asl-validator (npm), before any packaging:
 * the Distributed Map's ItemReader, ItemBatcher, MaxConcurrency,
 * ToleratedFailurePercentage and ResultWriter as the params set them, and
 * what one scoring run's input weighs against Step Functions' 256 KB. The
 * compiled template's copy is checked in tests/package/batch-template.test.ts.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, as the Serverless CLI requires it
const batch = require('../resources/batch.js') as {
  definition: (settings: { rangesPerBatch: number; maxConcurrency: number; toleratedFailurePercent: number }) => Json;
  parsePrefixes: (text: string) => { bucket: string; prefix: string }[];
  resources: (context: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<{ Resources: Record<string, Json> }>;
  prefixes: (context: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<Json>;
};
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- an ASL definition is free-form JSON

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:ml-inference-dev-batch';
/** The definition as Step Functions sees it once DefinitionSubstitutions are applied. */
const substituted = (definition: Json): Json => JSON.parse(JSON.stringify(definition).replaceAll('${BatchFunctionArn}', FUNCTION_ARN));
const settings = { rangesPerBatch: 4, maxConcurrency: 10, toleratedFailurePercent: 5 };

describe('the batch state machine definition', () => {
  const definition = substituted(batch.definition(settings));

  it('is valid Amazon States Language, ARNs and paths checked', () => {
    // On a copy: the validator fills in defaults (QueryLanguage) where it checks.
    const { isValid, errorsText } = aslValidator(structuredClone(definition));
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('is refused by the validator when broken (a state that goes nowhere, a Map without its processor)', () => {
    const dangling = structuredClone(definition);
    dangling.States.Plan.Next = 'Nowhere';
    expect(aslValidator(dangling).isValid).toBe(false);
    const noProcessor = structuredClone(definition);
    delete noProcessor.States.Score.ItemProcessor;
    expect(aslValidator(noProcessor).isValid).toBe(false);
  });

  it('plans, scores in a Distributed Map, then finishes; or ends a job the plan refused with its reason', () => {
    expect(definition.StartAt).toBe('Plan');
    expect([definition.States.Plan.Next, definition.States.Planned.Default, definition.States.Score.Next, definition.States.Finish.End]).toEqual(['Planned', 'Score', 'Finish', true]);
    expect(definition.States.Planned.Choices).toEqual([{ Variable: '$.plan.value.refused', IsPresent: true, Next: 'Refused' }]);
    expect(definition.States.Refused).toEqual({ Type: 'Fail', ErrorPath: '$.plan.value.refused.error', CausePath: '$.plan.value.refused.cause' });
    const map = definition.States.Score;
    expect(map.Type).toBe('Map');
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    // The items: the plan's ranges.json, read by Step Functions itself.
    expect(map.ItemReader).toEqual({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Bucket.$': '$.plan.value.ranges.bucket', 'Key.$': '$.plan.value.ranges.key' } });
    expect(map.ItemBatcher.MaxItemsPerBatch).toBe(settings.rangesPerBatch);
    expect(map.MaxConcurrency).toBe(settings.maxConcurrency);
    expect(map.ToleratedFailurePercentage).toBe(settings.toleratedFailurePercent);
    expect(map.ResultWriter).toEqual({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': '$.plan.value.results.bucket', 'Prefix.$': '$.plan.value.results.prefix' } });
    for (const task of [definition.States.Plan, map.ItemProcessor.States.ScoreRanges, definition.States.Finish]) {
      expect(task.Resource).toBe('arn:aws:states:::lambda:invoke');
      expect(task.Parameters.FunctionName).toBe(FUNCTION_ARN);
      expect(task.Retry[0].ErrorEquals).toContain('Lambda.TooManyRequestsException');
    }
    expect(definition.States.Plan.Parameters.Payload.step).toBe('plan');
    expect(map.ItemProcessor.States.ScoreRanges.Parameters.Payload).toEqual({ step: 'score', 'job.$': '$.BatchInput.job', 'header.$': '$.BatchInput.header', 'ranges.$': '$.Items' });
    expect(definition.States.Finish.Parameters.Payload.step).toBe('finish');
  });

  it("keeps one scoring run's input (the batch of ranges, the job, a wide CSV header) far under Step Functions' 256 KB", () => {
    const job = {
      id: '7d0c3f9e-1111-4222-8333-444455556666',
      owner: 'ezxn4zchmr',
      model: { name: 'x'.repeat(64), version: 'v'.repeat(64), label: 'l'.repeat(64) },
      input: { bucket: 'b'.repeat(63), key: `${'k'.repeat(900)}.csv` },
      output: { bucket: 'b'.repeat(63), key: `${'o'.repeat(900)}/7d0c3f9e-1111-4222-8333-444455556666/` },
      format: 'csv',
      recordLimit: 10_000_000,
      day: '2026-12-04',
    };
    const header = Array.from({ length: 1000 }, (_, i) => `column_with_a_long_name_${i}`);
    const items = Array.from({ length: settings.rangesPerBatch }, (_, range) => ({ range, start: 4 * 1024 ** 3, end: 4 * 1024 ** 3 + 4194304, line: 99_999_999, rows: 20_000 }));
    const input = { BatchInput: { job, header }, Items: items };
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(64 * 1024);
  });
});

describe('batchPrefixes', () => {
  it('reads s3://bucket/ and s3://bucket/prefix/ entries', () => {
    expect(batch.parsePrefixes(' s3://acme-data/batch/in/, s3://acme-out/ ')).toEqual([
      { bucket: 'acme-data', prefix: 'batch/in/' },
      { bucket: 'acme-out', prefix: '' },
    ]);
    expect(batch.parsePrefixes('')).toEqual([]);
  });

  it("become the roles' only S3 data resources and BATCH_PREFIXES, in place of the stack's bucket", async () => {
    const params: Record<string, unknown> = {
      'self:service': 'ml-inference',
      'sls:stage': 'dev',
      'param:batchPrefixes': 's3://acme-data/batch/in/,s3://acme-out/',
      'param:batchRangesPerBatch': 4,
      'param:batchMaxConcurrency': 10,
      'param:batchToleratedFailurePercent': 5,
      'param:modelStore': '',
    };
    const context = { resolveVariable: async (name: string) => params[name] };
    const { Resources } = await batch.resources(context);
    const data = [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-data/batch/in/*' }, { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-out/*' }];
    const statements = (role: string) => (Resources[role].Properties.Policies as Json[]).flatMap((p) => p.PolicyDocument.Statement as Json[]);
    for (const role of ['BatchFunctionRole', 'BatchStateMachineRole']) {
      const s3 = statements(role).filter((st) => (st.Action as string[]).some((a) => a.startsWith('s3:')) && !(st.Action as string[]).includes('s3:ListBucket'));
      const onData = s3.filter((st) => JSON.stringify(st.Resource) !== JSON.stringify([{ 'Fn::Sub': '${BatchBucket.Arn}/usage/*' }]));
      expect(onData.map((st) => st.Resource)).toEqual(onData.map(() => data));
    }
    // Listing a prefix of pictures: each prefix's bucket, for keys under that prefix only; the state machine lists nothing.
    const lists = (role: string) => statements(role).filter((st) => (st.Action as string[]).includes('s3:ListBucket') && JSON.stringify(st).includes('acme'));
    expect(lists('BatchFunctionRole').map((st) => [st.Resource, st.Condition])).toEqual([
      [[{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-data' }], { StringLike: { 's3:prefix': ['batch/in/*'] } }],
      [[{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-out' }], { StringLike: { 's3:prefix': ['*'] } }],
    ]);
    expect(lists('BatchStateMachineRole')).toEqual([]);
    expect(await batch.prefixes(context)).toEqual({ 'Fn::Join': [',', ['s3://acme-data/batch/in/', 's3://acme-out/']] });
  });

  it.each(['s3://acme-data/batch', 's3://acme-data/batch/*', 'acme-data/batch/', 's3://Acme/batch/', 's3://acme-data'])('stops the packaging on %s, naming it', (entry) => {
    expect(() => batch.parsePrefixes(entry)).toThrow(`batchPrefixes: ${JSON.stringify(entry)} is not s3://<bucket>/`);
  });
});
