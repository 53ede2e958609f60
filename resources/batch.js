'use strict';
// Batch scoring on a deployed stage (README, "Batch scoring"):
//
//   POST /models/{name}/batch-jobs (the batch-jobs function) ── StartExecution ──▶ the state machine:
//     Plan   (the batch function, step "plan"): reads the input once (a prefix
//            of pictures: lists it into <job>/files.jsonl), counts its
//            records against the caller's daily record limit, writes
//            <job>/ranges.json: one item per byte range of about batchRangeBytes;
//            or refuses the job (Planned → Refused: the plan's error and reason)
//     Score  Distributed Map: ItemReader reads ranges.json, ItemBatcher hands
//            batchRangesPerBatch ranges to one run of the batch function (step
//            "score"), which reads each range from S3 by Range GET (never from
//            the state: 256 KB) and writes <job>/parts/<range>.<csv|jsonl>;
//            MaxConcurrency batchMaxConcurrency, ToleratedFailurePercentage
//            batchToleratedFailurePercent, ResultWriter to <job>/results/
//     Finish (the batch function, step "finish"): the parts in range order into
//            <job>/scores.<csv|jsonl>, the counts from the ResultWriter's files into
//            <job>/summary.json and the execution's output
//   GET /models/{name}/batch-jobs/{id} ── DescribeExecution ──▶ status, counts, output
//
// Where a job may read and write: the batchPrefixes param, a comma-separated
// list of s3://bucket/prefix/ (none: the stack's BatchBucket, under jobs/). Its
// roles reach those prefixes and nothing else of S3 but the BatchBucket's
// usage/ ledger. serverless.yml reads this file with ${file()};
// tests/package/batch-template.test.ts reads the compiled result.

const { functions, steps, lambdaLogicalId } = require('../lib/http/routes');
const { policy, allow, functionRole: ownRole, serviceRole } = require('./iam');
const modelStore = require('./model-store');

const ROUTES_FUNCTION = 'batch-jobs';
const ROUTES_ROLE = 'BatchJobsFunctionRole';
const STEPS_FUNCTION = 'batch';
const STEPS_ROLE = 'BatchFunctionRole';
const STATE_MACHINE = 'BatchStateMachine';
const STATE_MACHINE_ROLE = 'BatchStateMachineRole';

/**
 * "s3://a/in/, s3://b/" → [{bucket: 'a', prefix: 'in/'}, {bucket: 'b', prefix: ''}].
 * Each prefix ends in "/" (or is the whole bucket), so "in/" never also
 * grants "inbox/". A malformed entry stops the packaging, naming it.
 */
function parsePrefixes(text) {
  const entries = String(text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry) => {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/((?:[^*?,\s]+\/)?)$/.exec(entry);
    if (!match) throw new Error(`batchPrefixes: ${JSON.stringify(entry)} is not s3://<bucket>/ or s3://<bucket>/<prefix>/ (a prefix ends in "/"; no wildcards)`);
    return { bucket: match[1], prefix: match[2] };
  });
}

/** The prefixes as CloudFormation values: the param's, else the stack's own bucket under jobs/. */
function prefixLocations(parsed) {
  return parsed.length > 0 ? parsed.map(({ bucket, prefix }) => ({ bucket, prefix })) : [{ bucket: { Ref: 'BatchBucket' }, prefix: 'jobs/' }];
}

/** "s3://bucket/prefix/" text (Fn::Sub when the bucket is a reference). */
const urlOf = ({ bucket, prefix }) => (typeof bucket === 'string' ? `s3://${bucket}/${prefix}` : { 'Fn::Sub': `s3://\${${bucket.Ref}}/${prefix}` });
/** Every object under the prefix. */
const objectsUnder = ({ bucket, prefix }) =>
  typeof bucket === 'string' ? { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucket}/${prefix}*` } : { 'Fn::Sub': `\${${bucket.Ref}.Arn}/${prefix}*` };

/** The bucket a prefix lies in, as an ARN (ListBucket's resource). */
const bucketOf = ({ bucket }) => (typeof bucket === 'string' ? { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucket}` } : { 'Fn::GetAtt': [bucket.Ref, 'Arn'] });
/** Listing a prefix (a prefix of pictures, in the plan step; the ledger): ListBucket on its bucket, only for keys under the prefix. */
const listUnder = (location) => allow(['s3:ListBucket'], [bucketOf(location)], { Condition: { StringLike: { 's3:prefix': [`${location.prefix}*`] } } });

/** BATCH_PREFIXES as the functions read it: the URLs joined by commas. */
const prefixesSetting = (locations) => ({ 'Fn::Join': [',', locations.map(urlOf)] });

const ledger = { 'Fn::Sub': '${BatchBucket.Arn}/usage/*' };
const ledgerBucket = { 'Fn::GetAtt': ['BatchBucket', 'Arn'] };
/** The ledger as a prefix location, for listUnder. */
const ledgerPrefix = { bucket: { Ref: 'BatchBucket' }, prefix: 'usage/' };
/** A function's own role (resources/iam.js): its work's statements on the batch prefixes and the ledger, and the model store's when there is one. */
const functionRole = (name, description, statements, modelStoreStatements) =>
  ownRole(name, description, [
    policy('batch-jobs', statements),
    // Both read the models' manifests (the steps their files too): from the model store when the stage has one (resources/model-store.js).
    ...(modelStoreStatements.length > 0 ? [policy('model-store', modelStoreStatements)] : []),
  ]);

/** Transient Lambda failures worth a retry (AWS's recommended list for lambda:invoke), with backoff. */
const LAMBDA_RETRY = [
  {
    ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
    IntervalSeconds: 2,
    MaxAttempts: 6,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];

/** One Lambda step: the batch function with the state as its event, its answer as the result. */
const invoke = (step, extra) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: '${BatchFunctionArn}', Payload: { step, 'job.$': '$.job', ...extra } },
  ResultSelector: { 'value.$': '$.Payload' },
  Retry: LAMBDA_RETRY,
});

/**
 * The Amazon States Language definition, with ${BatchFunctionArn} for
 * DefinitionSubstitutions. The execution's input is {job} (lib/batch-jobs/job.ts).
 * Each state keeps $.job and adds its own result beside it.
 */
function definition({ rangesPerBatch, maxConcurrency, toleratedFailurePercent }) {
  return {
    Comment: 'A batch scoring job (README, "Batch scoring"): plan byte ranges, score them in a Distributed Map, assemble the parts in order',
    StartAt: 'Plan',
    States: {
      Plan: { ...invoke('plan', {}), ResultPath: '$.plan', Next: 'Planned' },
      // A job the plan refuses (the day's records, a header that cannot be read) ends here with the plan's reason,
      // not as a Lambda error: the errors alarm counts the functions' failures, not the callers'.
      Planned: { Type: 'Choice', Choices: [{ Variable: '$.plan.value.refused', IsPresent: true, Next: 'Refused' }], Default: 'Score' },
      Refused: { Type: 'Fail', ErrorPath: '$.plan.value.refused.error', CausePath: '$.plan.value.refused.cause' },
      Score: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { 'Bucket.$': '$.plan.value.ranges.bucket', 'Key.$': '$.plan.value.ranges.key' },
        },
        // Each batch: a few {range, start, end, firstRow} items and the job, never rows (the function reads those from S3).
        ItemBatcher: { MaxItemsPerBatch: rangesPerBatch, BatchInput: { 'job.$': '$.job', 'header.$': '$.plan.value.header' } },
        MaxConcurrency: maxConcurrency,
        ToleratedFailurePercentage: toleratedFailurePercent,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'ScoreRanges',
          States: {
            ScoreRanges: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: '${BatchFunctionArn}', Payload: { step: 'score', 'job.$': '$.BatchInput.job', 'header.$': '$.BatchInput.header', 'ranges.$': '$.Items' } },
              OutputPath: '$.Payload',
              Retry: LAMBDA_RETRY,
              End: true,
            },
          },
        },
        // Step Functions' own record of every child run (manifest.json and SUCCEEDED_/FAILED_ files) beside the output.
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { 'Bucket.$': '$.plan.value.results.bucket', 'Prefix.$': '$.plan.value.results.prefix' } },
        ResultPath: '$.results',
        Next: 'Finish',
      },
      Finish: { ...invoke('finish', { 'plan.$': '$.plan.value', 'results.$': '$.results.ResultWriterDetails' }), OutputPath: '$.value', End: true },
    },
  };
}

/** The state machine's name: fixed, so the roles can name its ARN without a circular reference. */
const stateMachineName = (service, stage) => `${service}-${stage}-batch`;

async function resources({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const locations = prefixLocations(parsePrefixes(await resolveVariable('param:batchPrefixes')));
  const settings = {
    rangesPerBatch: Number(await resolveVariable('param:batchRangesPerBatch')),
    maxConcurrency: Number(await resolveVariable('param:batchMaxConcurrency')),
    toleratedFailurePercent: Number(await resolveVariable('param:batchToleratedFailurePercent')),
  };
  if (functions[ROUTES_FUNCTION]?.role !== ROUTES_ROLE) throw new Error(`resources/batch.js: lib/http/routes.js must give ${ROUTES_FUNCTION} the role ${ROUTES_ROLE}`);
  if (steps[STEPS_FUNCTION]?.role !== STEPS_ROLE) throw new Error(`resources/batch.js: lib/http/routes.js must give ${STEPS_FUNCTION} the role ${STEPS_ROLE}`);
  const name = stateMachineName(service, stage);
  const machineArn = { 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${name}` };
  const executionsArn = { 'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${name}:*` };
  const data = locations.map(objectsUnder);
  const batchFunctionArn = { 'Fn::GetAtt': [lambdaLogicalId(STEPS_FUNCTION), 'Arn'] };
  const modelStoreStatements = modelStore.readStatements(await modelStore.storeOf(resolveVariable));

  return {
    Resources: {
      // The usage ledger (usage/<caller>/<day>/<job>: a job's record count),
      // and by default the jobs' data (jobs/). Private, encrypted, TLS only.
      BatchBucket: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: [
              // A day's ledger is read only on that day (UTC).
              { Id: 'expire-usage', Status: 'Enabled', Prefix: 'usage/', ExpirationInDays: 2 },
              { Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
            ],
          },
        },
      },
      BatchBucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'BatchBucket' },
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [ledgerBucket, { 'Fn::Sub': '${BatchBucket.Arn}/*' }], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
            ],
          },
        },
      },

      // The routes: start an execution of this state machine, describe its
      // executions, find the caller's usage plan (GetUsagePlans by key id),
      // list the caller's ledger for today. No job data.
      [ROUTES_ROLE]: functionRole(ROUTES_FUNCTION, 'The batch-job routes: start and describe batch executions', [
        allow(['states:StartExecution'], [machineArn]),
        allow(['states:DescribeExecution'], [executionsArn]),
        allow(['apigateway:GET'], [{ 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::/usageplans' }]),
        listUnder(ledgerPrefix),
      ], modelStoreStatements),
      // The steps: read the input, list a prefix of pictures, write the
      // ranges, listing, parts, output and summary, under the prefixes only
      // (multipart: the assembled output); the ledger.
      [STEPS_ROLE]: functionRole(STEPS_FUNCTION, 'The batch steps: plan, score and assemble under the batch prefixes', [
        allow(['s3:GetObject'], data),
        ...locations.map(listUnder),
        allow(['s3:PutObject', 's3:AbortMultipartUpload'], data),
        allow(['s3:PutObject'], [ledger]),
        listUnder(ledgerPrefix),
      ], modelStoreStatements),
      // Step Functions: run the batch function, read the ranges (ItemReader),
      // write its results (ResultWriter) under the prefixes, and run the
      // Distributed Map's child executions of this state machine.
      [STATE_MACHINE_ROLE]: serviceRole(
        'states.amazonaws.com',
        'The batch state machine: invokes the batch function, reads ranges and writes results under the batch prefixes',
        // Only this account's state machines (the confused-deputy guard).
        { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        [
          policy('batch-state-machine', [
            allow(['lambda:InvokeFunction'], [batchFunctionArn, { 'Fn::Sub': `\${${lambdaLogicalId(STEPS_FUNCTION)}.Arn}:*` }]),
            allow(['s3:GetObject'], data),
            allow(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], data),
            allow(['states:StartExecution'], [machineArn]),
            allow(['states:DescribeExecution', 'states:StopExecution'], [executionsArn]),
          ]),
        ],
      ),
      [STATE_MACHINE]: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          StateMachineName: name,
          StateMachineType: 'STANDARD',
          RoleArn: { 'Fn::GetAtt': [STATE_MACHINE_ROLE, 'Arn'] },
          Definition: definition(settings),
          DefinitionSubstitutions: { BatchFunctionArn: batchFunctionArn },
        },
      },
    },
    Outputs: {
      BatchStateMachineArn: { Description: 'The batch scoring state machine (README, "Batch scoring")', Value: { Ref: STATE_MACHINE } },
      BatchBucketName: { Description: 'The batch ledger (usage/) and, without batchPrefixes, the jobs\' data (jobs/)', Value: { Ref: 'BatchBucket' } },
    },
  };
}

module.exports = {
  resources,
  /** BATCH_PREFIXES for serverless.yml's custom.functionEnvironment. */
  prefixes: async ({ resolveVariable }) => prefixesSetting(prefixLocations(parsePrefixes(await resolveVariable('param:batchPrefixes')))),
  parsePrefixes,
  definition,
  stateMachineName,
};
