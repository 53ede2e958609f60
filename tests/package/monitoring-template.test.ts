import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CORS_HEADERS, lambdaLogicalId, scheduled } from '../../lib/http/routes';
import { partitionOf, type CaptureLine } from '../../lib/capture/capture-line';
import { readGatewaySpec } from '../../scripts/local-gateway/gateway-spec';
import { matchesFilterPattern, parseFilterPattern } from '../helpers/filter-pattern';
import { resolvedService, resourcesOfType, template, type Resource, type Template } from './artifacts';
import { stages } from './stages';
import { zipPath } from './zip';

/**
 * The deployed monitoring pipeline (README, "Monitoring"; resources/monitoring.js),
 * read from the packaged templates, against the monitoring contract: the
 * capture lines' subscription, the Firehose stream and its S3 layout, the
 * bucket, least-privilege roles, the scheduled monitor, the alarms, the
 * Athena tables. Then the pipeline run on lines the packaged zip really
 * writes: CloudWatch Logs' filter and Firehose's processing have stand-ins
 * here (no AWS account), jq is the real jq 1.6 Firehose names.
 */

/** The contract's values, restated rather than imported: the template must say exactly these. */
const CONTRACT = {
  filterPattern: '{ ($.capture = "inference") || ($.capture = "feedback") }',
  partitionQuery: '{capture: .capture, model: .model, version: (.version // "_")}',
  prefix: 'captures/!{partitionKeyFromQuery:capture}/model=!{partitionKeyFromQuery:model}/version=!{partitionKeyFromQuery:version}/date=!{timestamp:yyyy-MM-dd}/',
  errorPrefix: 'capture-errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/',
  capturing: ['predict', 'v2-infer', 'monitoring'],
  inferenceFields: ['capture', 'inference_id', 'request_id', 'time', 'model', 'version', 'route', 'api_key_id', 'input', 'features', 'prediction', 'output'],
  feedbackFields: ['capture', 'inference_id', 'request_id', 'time', 'model', 'api_key_id', 'actual'],
};

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation templates are free-form JSON
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Record<string, Record<string, Json>>;
  Principal?: Json;
}

const deployable = stages.filter((s) => s.stage !== 'local');
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const params = (name: string) =>
  (resolvedService(name) as unknown as { initialServerlessConfig: { params: { default: Record<string, Json> } } }).initialServerlessConfig.params.default;

/** An ARN or reference as text: "${MonitoringBucket.Arn}/captures/*", "${CaptureDeliveryStream.Arn}", "*". */
function arnText(value: Json): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Sub'] !== undefined) return String(value['Fn::Sub']);
  if (value?.['Fn::GetAtt'] !== undefined) return `\${${(value['Fn::GetAtt'] as string[]).join('.')}}`;
  if (value?.Ref !== undefined) return `\${${String(value.Ref)}}`;
  throw new Error(`not an ARN form this test reads: ${JSON.stringify(value)}`);
}

/**
 * Every statement of a role's inline policies, but the model store's reads:
 * a stage with a store (dev-store) gives every role that reads models list
 * and get on its prefix, held by tests/package/model-store-template.test.ts.
 */
const statementsOf = (role: Resource): Statement[] =>
  (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement).filter((s) => !JSON.stringify(s.Resource).includes('${ModelStoreBucket}'));

/** A role's grants as "action on resource" lines, conditions appended: easy to compare whole. */
function grants(role: Resource): string[] {
  return statementsOf(role)
    .flatMap((s) => {
      expect(s.Effect).toBe('Allow');
      const condition = s.Condition ? ` if ${JSON.stringify(s.Condition)}` : '';
      return list(s.Action).flatMap((action) => list(s.Resource).map((resource) => `${action} on ${arnText(resource)}${condition}`));
    })
    .sort();
}

const logGroupId = (fn: string) => lambdaLogicalId(fn).replace(/LambdaFunction$/, 'LogGroup');

describe.each(deployable)('the monitoring pipeline of the packaged $name template', ({ name, stage }) => {
  const t: Template = template(name);
  const r = t.Resources;
  const p = params(name);

  it('keeps captures in a private, encrypted, retained bucket whose captures expire after captureRetentionDays', () => {
    const bucket = r.MonitoringBucket as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    const props = bucket.Properties;
    const [encryption, ...more] = props.BucketEncryption.ServerSideEncryptionConfiguration;
    expect(more).toEqual([]);
    expect(['AES256', 'aws:kms']).toContain(encryption.ServerSideEncryptionByDefault.SSEAlgorithm);
    expect(props.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(props.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const rules = props.LifecycleConfiguration.Rules as { Prefix?: string; Status: string; ExpirationInDays?: number }[];
    expect(p.captureRetentionDays).toBe(90);
    expect(rules.filter((rule) => rule.Prefix === 'captures/')).toEqual([{ Id: expect.any(String), Status: 'Enabled', Prefix: 'captures/', ExpirationInDays: p.captureRetentionDays }]);
    // Reports are small and kept: no rule expires them, nor the whole bucket.
    expect(rules.filter((rule) => rule.ExpirationInDays !== undefined && !rule.Prefix)).toEqual([]);
    expect(rules.some((rule) => rule.Prefix?.startsWith('reports'))).toBe(false);
    // Plain HTTP refused for everyone.
    const [, policy] = resourcesOfType(t, 'AWS::S3::BucketPolicy').find(([, b]) => b.Properties.Bucket.Ref === 'MonitoringBucket')!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('delivers through one DirectPut Firehose stream with the contract\'s processors, partitions and prefixes', () => {
    const streams = resourcesOfType(t, 'AWS::KinesisFirehose::DeliveryStream');
    expect(streams.map(([id]) => id)).toEqual(['CaptureDeliveryStream']);
    const stream = streams[0]![1].Properties;
    expect(stream.DeliveryStreamType).toBe('DirectPut');
    const s3 = stream.ExtendedS3DestinationConfiguration;
    expect(s3.BucketARN).toEqual({ 'Fn::GetAtt': ['MonitoringBucket', 'Arn'] });
    expect(s3.RoleARN).toEqual({ 'Fn::GetAtt': ['CaptureDeliveryRole', 'Arn'] });
    expect(s3.Prefix).toBe(CONTRACT.prefix);
    expect(s3.ErrorOutputPrefix).toBe(CONTRACT.errorPrefix);
    // The lines as written, newline-delimited.
    expect(s3.CompressionFormat).toBe('UNCOMPRESSED');
    expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
    // Dynamic partitioning requires a buffer of at least 64 MB.
    expect(s3.BufferingHints.SizeInMBs).toBeGreaterThanOrEqual(64);
    expect(s3.BufferingHints.IntervalInSeconds).toBeLessThanOrEqual(900);
    expect(s3.ProcessingConfiguration.Enabled).toBe(true);
    expect(s3.ProcessingConfiguration.Processors).toEqual([
      { Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] },
      { Type: 'CloudWatchLogProcessing', Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }] },
      {
        Type: 'MetadataExtraction',
        Parameters: [
          { ParameterName: 'MetadataExtractionQuery', ParameterValue: CONTRACT.partitionQuery },
          { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
        ],
      },
      { Type: 'AppendDelimiterToRecord' },
    ]);
    // Every partition key the prefix names is one the query extracts.
    const keys = [...CONTRACT.prefix.matchAll(/!\{partitionKeyFromQuery:(\w+)\}/g)].map((m) => m[1]);
    expect(keys.sort()).toEqual(['capture', 'model', 'version']);
  });

  it("lets Firehose write under captures/ and capture-errors/ only, and read nothing", () => {
    const role = r.CaptureDeliveryRole!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(grants(role)).toEqual(
      [
        's3:AbortMultipartUpload on ${MonitoringBucket.Arn}/capture-errors/*',
        's3:AbortMultipartUpload on ${MonitoringBucket.Arn}/captures/*',
        's3:GetBucketLocation on ${MonitoringBucket.Arn}',
        's3:ListBucketMultipartUploads on ${MonitoringBucket.Arn}',
        's3:PutObject on ${MonitoringBucket.Arn}/capture-errors/*',
        's3:PutObject on ${MonitoringBucket.Arn}/captures/*',
        `logs:PutLogEvents on arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/kinesisfirehose/ml-inference-${stage}-captures:log-stream:S3Delivery`,
      ].sort(),
    );
    const logging = r.CaptureDeliveryStream!.Properties.ExtendedS3DestinationConfiguration.CloudWatchLoggingOptions;
    expect(logging).toEqual({ Enabled: true, LogGroupName: `/aws/kinesisfirehose/ml-inference-${stage}-captures`, LogStreamName: 'S3Delivery' });
    expect(r.CaptureDeliveryLogGroup!.Properties.LogGroupName).toBe(logging.LogGroupName);
  });

  it("subscribes exactly the log groups of the functions that write capture lines, with the contract's filter pattern", () => {
    const filters = resourcesOfType(t, 'AWS::Logs::SubscriptionFilter');
    expect(filters.map(([, f]) => f.Properties.LogGroupName.Ref).sort()).toEqual(CONTRACT.capturing.map(logGroupId).sort());
    expect(CONTRACT.capturing.map(logGroupId).sort()).toEqual(['MonitoringLogGroup', 'PredictLogGroup', 'V2DashinferLogGroup']);
    for (const [id, filter] of filters) {
      expect({ id, pattern: filter.Properties.FilterPattern }).toEqual({ id, pattern: CONTRACT.filterPattern });
      expect(filter.Properties.DestinationArn).toEqual({ 'Fn::GetAtt': ['CaptureDeliveryStream', 'Arn'] });
      expect(filter.Properties.RoleArn).toEqual({ 'Fn::GetAtt': ['CaptureSubscriptionRole', 'Arn'] });
    }
    // Those log groups are the ones the functions write to.
    for (const fn of CONTRACT.capturing) {
      const functionName = r[lambdaLogicalId(fn)]!.Properties.FunctionName;
      expect(functionName).toBe(`ml-inference-${stage}-${fn}`);
      expect(r[logGroupId(fn)]!.Properties.LogGroupName).toBe(`/aws/lambda/${functionName}`);
    }
  });

  it('lets CloudWatch Logs of this account and region, and nothing else, put records into that stream only', () => {
    const role = r.CaptureSubscriptionRole!;
    const [trust, ...others] = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
    expect(others).toEqual([]);
    expect(trust).toMatchObject({ Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: 'sts:AssumeRole' });
    const conditions = Object.values(trust!.Condition ?? {}).map((c) => arnText(c['aws:SourceArn']));
    expect(conditions).toEqual(['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*']);
    expect(grants(role)).toEqual(['firehose:PutRecord on ${CaptureDeliveryStream.Arn}', 'firehose:PutRecordBatch on ${CaptureDeliveryStream.Arn}']);
  });

  it('grants S3 and Firehose actions by name, never on "*", and only to the pipeline\'s roles, the two monitoring functions and the batch jobs\' own roles', () => {
    const withStorage = new Set<string>();
    for (const [id, role] of resourcesOfType(t, 'AWS::IAM::Role')) {
      for (const s of statementsOf(role)) {
        const actions = list(s.Action);
        if (!actions.some((a) => /^(s3|firehose):/.test(a))) continue;
        withStorage.add(id);
        expect({ id, actions: actions.filter((a) => a.includes('*')) }).toEqual({ id, actions: [] });
        expect({ id, resources: list(s.Resource).filter((res) => arnText(res) === '*' || arnText(res).endsWith(':*')) }).toEqual({ id, resources: [] });
      }
    }
    // The functions' shared role (predict, health, ...) reaches no bucket and no stream; besides the pipeline's, only the batch jobs' own roles do (their grants: tests/package/batch.test.ts).
    expect([...withStorage].sort()).toEqual(['BatchFunctionRole', 'BatchJobsFunctionRole', 'BatchStateMachineRole', 'CaptureDeliveryRole', 'CaptureSubscriptionRole', 'MonitorFunctionRole', 'MonitoringFunctionRole']);
  });

  it('runs the monitor on the monitorSchedule param, alone, with its own role: captures/ read, reports/ written', () => {
    const fn = r.MonitorLambdaFunction!.Properties;
    expect(fn.Handler).toBe('handlers/monitor.handler');
    expect(fn.Timeout).toBe(scheduled.monitor.timeout);
    expect(fn.Timeout).toBeLessThanOrEqual(900);
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['MonitorFunctionRole', 'Arn'] });
    expect(fn.Environment.Variables.MONITORING_BUCKET).toEqual({ Ref: 'MonitoringBucket' });
    expect(fn.Environment.Variables.MONITOR_WINDOW_HOURS).toBe(String(p.monitorWindowHours));
    expect(p.monitorSchedule).toBe('rate(1 hour)');
    expect(p.monitorWindowHours).toBe(24);

    // The monitor's own rule (the key-expiry function has another: tests/package/key-expiry-template.test.ts).
    const rules = resourcesOfType(t, 'AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('"MonitorLambdaFunction"'));
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties;
    expect(rule.ScheduleExpression).toBe(p.monitorSchedule);
    expect(rule.State).toBe('ENABLED');
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': ['MonitorLambdaFunction', 'Arn'] } })]);
    const permissions = resourcesOfType(t, 'AWS::Lambda::Permission').filter(([, perm]) => perm.Properties.Principal === 'events.amazonaws.com' && JSON.stringify(perm.Properties.FunctionName).includes('"MonitorLambdaFunction"'));
    expect(permissions.map(([, perm]) => perm.Properties)).toEqual([
      { FunctionName: { 'Fn::GetAtt': ['MonitorLambdaFunction', 'Arn'] }, Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [rules[0]![0], 'Arn'] } },
    ]);
    // A failed run is not retried: the next one reads the same window.
    const [, invokeConfig] = resourcesOfType(t, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName.Ref === 'MonitorLambdaFunction')!;
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(0);
    // No route reaches it.
    expect(JSON.stringify(resourcesOfType(t, 'AWS::ApiGateway::Method'))).not.toContain('MonitorLambdaFunction');

    expect(grants(r.MonitorFunctionRole!)).toEqual(
      [
        's3:GetObject on ${MonitoringBucket.Arn}/captures/*',
        's3:PutObject on ${MonitoringBucket.Arn}/reports/*',
        's3:ListBucket on ${MonitoringBucket.Arn} if {"StringLike":{"s3:prefix":["captures/*"]}}',
        'logs:CreateLogStream on ${MonitorLogGroup.Arn}',
        'logs:PutLogEvents on ${MonitorLogGroup.Arn}',
        'xray:PutTraceSegments on *',
        'xray:PutTelemetryRecords on *',
      ].sort(),
    );
    // Its crashes and timeouts count in the errors alarm.
    expect(JSON.stringify(r.LambdaErrorsAlarm!.Properties.Metrics)).toContain('{"Ref":"MonitorLambdaFunction"}');
  });

  it('gives the monitoring function the bucket and a role that reads reports/ only (and lists, so a missing report is NoSuchKey)', () => {
    const fn = r.MonitoringLambdaFunction!.Properties;
    expect(fn.Environment.Variables.MONITORING_BUCKET).toEqual({ Ref: 'MonitoringBucket' });
    expect(fn.Role).toEqual({ 'Fn::GetAtt': ['MonitoringFunctionRole', 'Arn'] });
    expect(grants(r.MonitoringFunctionRole!)).toEqual(
      [
        's3:GetObject on ${MonitoringBucket.Arn}/reports/*',
        's3:ListBucket on ${MonitoringBucket.Arn}',
        'logs:CreateLogStream on ${MonitoringLogGroup.Arn}',
        'logs:PutLogEvents on ${MonitoringLogGroup.Arn}',
        'xray:PutTraceSegments on *',
        'xray:PutTelemetryRecords on *',
      ].sort(),
    );
    // The others never learn where it is.
    for (const [id, other] of resourcesOfType(t, 'AWS::Lambda::Function').filter(([id]) => !['MonitorLambdaFunction', 'MonitoringLambdaFunction'].includes(id))) {
      expect({ id, bucket: other.Properties.Environment?.Variables?.MONITORING_BUCKET }).toEqual({ id, bucket: undefined });
    }
    // Every function captures the param's share.
    expect(p.captureSample).toBe(5);
    for (const [id, any] of resourcesOfType(t, 'AWS::Lambda::Function').filter(([, f]) => String(f.Properties.Handler).startsWith('handlers/'))) {
      expect({ id, sample: any.Properties.Environment.Variables.CAPTURE_SAMPLE }).toEqual({ id, sample: '5' });
    }
  });

  it.each([
    ['FeatureDriftAlarm', 'FeatureDrift', 'Maximum', 'GreaterThanThreshold', 'driftAlarmThreshold', 0.25],
    ['LiveAccuracyAlarm', 'LiveAccuracy', 'Minimum', 'LessThanThreshold', 'liveAccuracyThreshold', 0.7],
  ])('alarms with %s on the service-wide %s (%s), %s its param, notifying the topic', (id, metric, statistic, comparison, param, value) => {
    const alarm = r[id]!.Properties;
    expect(alarm).toMatchObject({
      Namespace: `ml-inference/${stage}`,
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'ml-inference' }],
      Statistic: statistic,
      ComparisonOperator: comparison,
      Threshold: value,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
    });
    expect(p[param]).toBe(value);
  });

  it('charts drift, live quality and feedback per model and version', () => {
    const body = r.Dashboard!.Properties.DashboardBody['Fn::Sub'] as string;
    for (const metric of ['FeatureDrift', 'PredictionDrift', 'LiveAccuracy', 'LiveAUC', 'FeedbackCount']) {
      expect(body).toContain(`SEARCH('{\\"ml-inference/${stage}\\",service,model,version} MetricName=\\"${metric}\\"'`);
    }
  });

  it('lets Athena read the captures: a Glue table per kind, JSON SerDe, partitions projected from the S3 layout', () => {
    const db = r.MonitoringDatabase!.Properties;
    expect(db.DatabaseInput.Name).toBe(`ml_inference_${stage}_monitoring`);
    const tables = Object.fromEntries(resourcesOfType(t, 'AWS::Glue::Table').map(([, table]) => [table.Properties.TableInput.Name, table.Properties]));
    expect(Object.keys(tables).sort()).toEqual(['feedback_captures', 'inference_captures']);
    for (const [kind, fields, keys, location] of [
      ['inference', CONTRACT.inferenceFields, ['model_name', 'model_version', 'day'], 'captures/inference/model=${model_name}/version=${model_version}/date=${day}/'],
      ['feedback', CONTRACT.feedbackFields, ['model_name', 'day'], 'captures/feedback/model=${model_name}/version=_/date=${day}/'],
    ] as const) {
      const table = tables[`${kind}_captures`];
      expect(table.DatabaseName).toEqual({ Ref: 'MonitoringDatabase' });
      const input = table.TableInput;
      expect(input.TableType).toBe('EXTERNAL_TABLE');
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
      expect(input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(fields);
      expect(input.PartitionKeys.map((c: { Name: string }) => c.Name)).toEqual(keys);
      const parameters = input.Parameters;
      expect(parameters['projection.enabled']).toBe('true');
      expect(parameters['projection.model_name.type']).toBe('injected');
      if (kind === 'inference') expect(parameters['projection.model_version.type']).toBe('injected');
      expect(parameters['projection.day.type']).toBe('date');
      expect(parameters['projection.day.format']).toBe('yyyy-MM-dd');
      expect(parameters['projection.day.range']).toBe(`NOW-${p.captureRetentionDays}DAYS,NOW`);
      // Fn::Sub's ${!x} is a literal ${x}: Athena's placeholder.
      expect(arnText(parameters['storage.location.template']).replace(/\$\{!/g, '${')).toBe(`s3://\${MonitoringBucket}/${location}`);
      expect(arnText(input.StorageDescriptor.Location)).toBe(`s3://\${MonitoringBucket}/captures/${kind}/`);
    }
  });

  it('lets browsers send X-Inference-Id (and the usual headers) on every CORS route', () => {
    const preflights = resourcesOfType(t, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    for (const [id, method] of preflights) {
      const allowed = String(method.Properties.Integration.IntegrationResponses[0].ResponseParameters['method.response.header.Access-Control-Allow-Headers']);
      expect({ id, headers: allowed.replace(/'/g, '').split(',') }).toEqual({ id, headers: [...CORS_HEADERS] });
    }
    expect(CORS_HEADERS).toEqual(expect.arrayContaining(['X-Inference-Id', 'X-Api-Key', 'Content-Type']));
    for (const resource of ['ApiGatewayMethodPredictOptions', 'ApiGatewayMethodV2ModelsNameVarInferOptions']) expect(r[resource]).toBeDefined();
  });
});

describe('the local stage (npm start)', () => {
  const t = template('local');

  it('compiles the pipeline but runs no monitor on a schedule, and hands serverless-offline no CloudFormation reference', () => {
    // The monitor's schedule and the key expiry's (the local gateway refuses an expired key itself): both off.
    expect(resourcesOfType(t, 'AWS::Events::Rule').map(([, rule]) => rule.Properties.State)).toEqual(Object.keys(scheduled).map(() => 'DISABLED'));
    for (const [id, fn] of resourcesOfType(t, 'AWS::Lambda::Function').filter(([, f]) => String(f.Properties.Handler).startsWith('handlers/'))) {
      const objects = Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).filter(([, v]) => typeof v === 'object');
      expect({ id, objects }).toEqual({ id, objects: [] });
      expect({ id, sample: fn.Properties.Environment.Variables.CAPTURE_SAMPLE }).toEqual({ id, sample: '0' });
    }
  });

  it('still gives the local gateway a template it reads (new resource types are ignored)', () => {
    const spec = readGatewaySpec(t, 'local');
    expect(spec.functions.has('ml-inference-local-monitor')).toBe(true);
    expect(spec.routes.some((route) => route.integration.type === 'lambda' && route.integration.functionName === 'ml-inference-local-monitor')).toBe(false);
  });
});

describe('the filter pattern evaluator (a stand-in for CloudWatch Logs, tests/helpers/filter-pattern.ts)', () => {
  it.each([
    ['{ $.a = "x" }', '{"a":"x"}', true],
    ['{ $.a = "x" }', '{"a":"X"}', false],
    ['{ $.a = "x" }', '{"b":"x"}', false],
    ['{ $.a = "x" }', '{"a":{"b":"x"}}', false],
    ['{ $.a.b = "x" }', '{"a":{"b":"x"}}', true],
    ['{ $.status = 429 }', '{"status":429}', true],
    ['{ $.status = 429 }', '{"status":"429"}', false],
    ['{ ($.a = "x") || ($.a = "y") }', '{"a":"y"}', true],
    ['{ ($.a = "x") || ($.a = "y") }', '{"a":"z"}', false],
    ['{ $.a = "x" && $.b = "y" }', '{"a":"x","b":"y"}', true],
    ['{ $.a = "x" && $.b = "y" }', '{"a":"x","b":"z"}', false],
    // && binds tighter than ||.
    ['{ $.a = "x" || $.a = "y" && $.b = "z" }', '{"a":"x","b":"q"}', true],
    ['{ ($.a = "x" || $.a = "y") && $.b = "z" }', '{"a":"x","b":"q"}', false],
    // Only a whole JSON object is a JSON log event.
    ['{ $.a = "x" }', 'INFO {"a":"x"}', false],
    ['{ $.a = "x" }', '["x"]', false],
    ['{ $.a = "x" }', 'a = x', false],
  ])('%s on %s: %s', (pattern, message, expected) => {
    expect(matchesFilterPattern(pattern, message)).toBe(expected);
  });

  it.each(['{ $.a != "x" }', '{ $.a = "x*" }', '{ $.a = x }', 'ERROR', '{ $.a = "x" ', '{ $.a > 1 }', '{ $.a IS NULL }'])('refuses %s, outside its subset', (pattern) => {
    expect(() => parseFilterPattern(pattern)).toThrow();
  });
});

describe("the compiled pipeline on the lines the packaged zip writes (CAPTURE_SAMPLE=100)", () => {
  const pattern = template('dev').Resources.PredictCaptureSubscription!.Properties.FilterPattern as string;
  const s3 = template('dev').Resources.CaptureDeliveryStream!.Properties.ExtendedS3DestinationConfiguration;
  const query = (s3.ProcessingConfiguration.Processors as { Type: string; Parameters?: { ParameterName: string; ParameterValue: string }[] }[])
    .find((proc) => proc.Type === 'MetadataExtraction')!
    .Parameters!.find((param) => param.ParameterName === 'MetadataExtractionQuery')!.ParameterValue;

  /** Every line the functions wrote, stdout's and stderr's (Lambda sends both to the log group; Powertools writes errors to stderr). */
  let lines: string[];
  let statuses: number[];
  const jsonOf = (line: string): Record<string, unknown> | null => {
    try {
      const value = JSON.parse(line) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const parsed = () => lines.map(jsonOf);
  const kindOf = (line: Record<string, unknown> | null) =>
    line === null ? 'text' : 'capture' in line ? 'capture' : '_aws' in line ? 'emf' : line.level === 'ERROR' ? 'error' : line.message === 'request' ? 'access' : 'other';

  beforeAll(() => {
    const work = mkdtempSync(path.join(tmpdir(), 'capture-lines-'));
    try {
      const task = path.join(work, 'task');
      execFileSync('unzip', ['-q', zipPath('dev'), '-d', task]);
      // A model version whose manifest cannot be read (a folder where model.json belongs): its requests answer 503 and log an error line.
      const broken = path.join(task, 'models', 'broken', '1.0.0');
      cpSync(path.join(task, 'models', 'churn', '1.0.0'), broken, { recursive: true });
      rmSync(path.join(broken, 'model.json'));
      mkdirSync(path.join(broken, 'model.json'));
      const predict = JSON.parse(readFileSync(path.join(__dirname, '..', 'events', 'predict.json'), 'utf8')) as APIGatewayProxyEvent;
      const customer = JSON.parse(predict.body!) as Record<string, unknown>;
      const at = (resource: string, pathParameters: Record<string, string>, body: unknown): APIGatewayProxyEvent => ({
        ...predict,
        resource,
        path: resource.replace(/\{(\w+)\}/g, (_, key: string) => pathParameters[key]!),
        pathParameters,
        body: JSON.stringify(body),
      });
      const calls = [
        { fn: 'predict', event: predict },
        { fn: 'predict', event: at('/models/{name}/predict', { name: 'churn' }, { instances: [customer, { ...customer, tenure: 40 }, { ...customer, contract: 'two_year' }] }) },
        { fn: 'v2-infer', event: at('/v2/models/{name}/infer', { name: 'churn' }, { id: 'zip-capture', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 45], data: Array.from({ length: 45 }, () => 0) }] }) },
        { fn: 'predict', event: at('/models/{name}/versions/{version}/predict', { name: 'broken', version: '1.0.0' }, customer) },
      ];
      writeFileSync(path.join(work, 'calls.json'), JSON.stringify(calls));
      const fn = template('dev').Resources.PredictLambdaFunction!.Properties;
      const env = {
        ...(fn.Environment.Variables as Record<string, string>),
        CAPTURE_SAMPLE: '100',
        XRAY_TRACING: 'false',
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/tmp',
        LAMBDA_TASK_ROOT: task,
        AWS_LAMBDA_FUNCTION_NAME: 'ml-inference-dev-predict',
      };
      const run = spawnSync(process.execPath, [path.join(__dirname, 'zip-runner.js'), path.join(work, 'calls.json')], { cwd: tmpdir(), env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
      if (run.status !== 0) throw new Error(`the runner exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
      process.stdout.write(run.stdout + run.stderr); // shown if a test fails
      const out = `${run.stdout}\n${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
      statuses = (JSON.parse(out.find((l) => l.startsWith('ZIP-RUNNER-RESULT '))!.slice('ZIP-RUNNER-RESULT '.length)) as { results: { statusCode: number }[] }).results.map((res) => res.statusCode);
      lines = out.filter((line) => !line.startsWith('ZIP-RUNNER-'));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('wrote every kind of line: a capture line per scored record, access, EMF and error lines', () => {
    expect(statuses).toEqual([200, 200, 200, 503]);
    const kinds: string[] = parsed().map(kindOf);
    expect(kinds.filter((k) => k === 'capture')).toHaveLength(1 + 3 + 1);
    for (const kind of ['access', 'emf', 'error']) expect({ kind, present: kinds.includes(kind) }).toEqual({ kind, present: true });
    const captures = parsed().filter((line): line is Record<string, unknown> => line !== null && 'capture' in line);
    expect(new Set(captures.map((line) => line.route))).toEqual(new Set(['predict', 'v2-infer']));
    // Each a JSON object alone on its line (no prefix): what the filter and Firehose's jq both need.
    for (const line of captures) expect(Object.keys(line).filter((key) => !CONTRACT.inferenceFields.includes(key))).toEqual([]);
  });

  it("lets exactly the capture lines through the compiled template's filter pattern", () => {
    const json = parsed();
    lines.forEach((line, i) => {
      const kind = kindOf(json[i]!);
      expect({ kind, line, matches: matchesFilterPattern(pattern, line) }).toEqual({ kind, line, matches: kind === 'capture' });
    });
    // Feedback lines as the monitoring function writes them (contract), and near misses.
    const feedback: CaptureLine = { capture: 'feedback', inference_id: 'b7c1/0', request_id: 'r-1', time: '2026-12-04T01:02:03.456Z', model: 'churn', api_key_id: 'k1', actual: true };
    expect(matchesFilterPattern(pattern, JSON.stringify(feedback))).toBe(true);
    expect(matchesFilterPattern(pattern, JSON.stringify({ ...feedback, capture: 'other' }))).toBe(false);
    expect(matchesFilterPattern(pattern, JSON.stringify({ level: 'INFO', message: '{"capture":"inference"}' }))).toBe(false);
    expect(matchesFilterPattern(pattern, `2026-12-04T01:02:03.456Z\tr-1\tINFO\t${JSON.stringify(feedback)}`)).toBe(false);
  });

  it("delivers them where the monitor and CAPTURE_DIR look and the Athena tables read: CloudWatch's batch, Firehose's processors (stand-ins) and the real jq 1.6", () => {
    const jqVersion = spawnSync('jq', ['--version'], { encoding: 'utf8' });
    if (jqVersion.error) throw new Error('jq is not installed: apt-get install jq (Debian ships 1.6, the version Firehose names)');
    expect(jqVersion.stdout.trim()).toBe('jq-1.6');

    const feedback: CaptureLine = { capture: 'feedback', inference_id: 'b7c1/0', time: '2026-12-04T01:02:03.456Z', model: 'churn', actual: 'yes' };
    const passed = [...lines.filter((line) => matchesFilterPattern(pattern, line)), JSON.stringify(feedback)];
    // What a subscription sends Firehose: a gzip'd batch of log events (CloudWatch Logs' documented envelope).
    const batch = gzipSync(JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/aws/lambda/ml-inference-dev-predict', logStream: 's', subscriptionFilters: ['captures'], logEvents: passed.map((message, i) => ({ id: String(i), timestamp: Date.now(), message })) }));
    // Decompression, then CloudWatchLogProcessing's message extraction: each event's message, one record each.
    const records = (JSON.parse(gunzipSync(batch).toString('utf8')) as { logEvents: { message: string }[] }).logEvents.map((e) => e.message);
    expect(records).toEqual(passed);
    // MetadataExtraction: the template's query, by jq 1.6, once per record.
    const jq = spawnSync('jq', ['-c', query], { input: records.join('\n'), encoding: 'utf8' });
    expect(jq.status).toBe(0);
    const keys = jq.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(keys).toHaveLength(records.length);

    const glue = Object.fromEntries(resourcesOfType(template('dev'), 'AWS::Glue::Table').map(([, table]) => [table.Properties.TableInput.Name, arnText(table.Properties.TableInput.Parameters['storage.location.template']).replace(/\$\{!/g, '${')]));
    records.forEach((record, i) => {
      const line = JSON.parse(record) as CaptureLine;
      const key = keys[i]!;
      // Every key a string: Firehose refuses a null or an object as a partition key.
      for (const value of Object.values(key)) expect(typeof value).toBe('string');
      // The prefix Firehose fills in (its timestamp is the arrival time: here the line's own).
      const prefix = String(s3.Prefix)
        .replace(/!\{partitionKeyFromQuery:(\w+)\}/g, (_, k: string) => String(key[k]))
        .replace('!{timestamp:yyyy-MM-dd}', line.time.slice(0, 10));
      // The layout the functions write under CAPTURE_DIR and the monitor reads (lib/capture/capture-line.ts).
      expect(prefix).toBe(`${partitionOf(line)}/`);
      // The folder the Athena table reads for the same partition values.
      const athena = glue[`${line.capture}_captures`]!.replace('s3://${MonitoringBucket}/', '')
        .replace('${model_name}', line.model)
        .replace('${model_version}', line.capture === 'inference' ? line.version : '')
        .replace('${day}', line.time.slice(0, 10));
      expect(athena).toBe(prefix);
    });
    // AppendDelimiterToRecord: an object is the lines, each ended by a newline, as CAPTURE_DIR's files hold them.
    expect(`${records.join('\n')}\n`.split('\n').slice(0, -1)).toEqual(records);
  });
});
