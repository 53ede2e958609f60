'use strict';
// The deployed monitoring pipeline (README, "Monitoring"):
//
//   predict, v2-infer, monitoring ── capture lines on stdout ──▶ their CloudWatch log groups
//     ── subscription filter (capture lines only) ──▶ Firehose: gunzip, message
//     extraction, jq partition keys ──▶ MonitoringBucket/captures/<capture>/model=/version=/date=/
//   monitor (EventBridge schedule) ── reads captures/, writes reports/ and the monitoring metrics
//   monitoring function (GET /models/{name}/monitoring) ── reads reports/model=<m>/latest.json
//
// plus the Glue tables that let Athena query the captures, however many there
// are. serverless.yml reads this file with ${file()}; the alarms on the
// monitor's metrics are in resources/alarms.yml, its widgets in
// resources/dashboard.js. tests/package/monitoring-template.test.ts reads the
// compiled result.

const { functions, scheduled } = require('../lib/http/routes');
const { logGroupId, policy, allow, functionRole: ownRole, serviceRole } = require('./iam');
const modelStore = require('./model-store');

/** The functions that write capture lines (predict and infer captures, feedback): their log groups are subscribed. */
const CAPTURING = ['predict', 'v2-infer', 'monitoring'];

/** Capture lines alone carry `capture`: access, EMF and error lines never reach Firehose. */
const CAPTURE_FILTER = '{ ($.capture = "inference") || ($.capture = "feedback") }';
/** Firehose's partition keys, by jq on each extracted line; feedback has no version. */
const PARTITION_QUERY = '{capture: .capture, model: .model, version: (.version // "_")}';
const PREFIX = 'captures/!{partitionKeyFromQuery:capture}/model=!{partitionKeyFromQuery:model}/version=!{partitionKeyFromQuery:version}/date=!{timestamp:yyyy-MM-dd}/';
const ERROR_PREFIX = 'capture-errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/';

/** "v2-infer" → "V2Infer", for logical ids of our own. */
const pascal = (name) => name.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('');

const bucketArn = { 'Fn::GetAtt': ['MonitoringBucket', 'Arn'] };
/** Objects under a prefix of the monitoring bucket: "captures/" → arn:…:bucket/captures/*. */
const objects = (prefix) => ({ 'Fn::Sub': `\${MonitoringBucket.Arn}/${prefix}*` });

/** A function's own role (resources/iam.js): its work's statements on the monitoring bucket, and the model store's when there is one. */
const functionRole = (name, description, statements, modelStoreStatements = []) =>
  ownRole(name, description, [
    policy('monitoring-bucket', statements),
    // Both read models' manifests (and the monitor their baselines): from the model store when there is one (resources/model-store.js).
    ...(modelStoreStatements.length > 0 ? [policy('model-store', modelStoreStatements)] : []),
  ]);

/** A Glue table over one kind of capture line (newline-delimited JSON), its partitions projected from the S3 layout. */
function capturesTable({ kind, description, columns, versioned, retentionDays }) {
  const partitionKeys = [
    { Name: 'model_name', Type: 'string', Comment: 'the model= folder (the line\'s "model")' },
    ...(versioned ? [{ Name: 'model_version', Type: 'string', Comment: 'the version= folder (the line\'s "version")' }] : []),
    { Name: 'day', Type: 'string', Comment: 'the date= folder: the UTC day Firehose received the line (yyyy-MM-dd)' },
  ];
  return {
    Type: 'AWS::Glue::Table',
    Properties: {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseName: { Ref: 'MonitoringDatabase' },
      TableInput: {
        Name: `${kind}_captures`,
        Description: description,
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: partitionKeys,
        Parameters: {
          classification: 'json',
          // No partitions to add or crawl: Athena computes each query's folders
          // from these. Model names and versions are "injected": a query names
          // them (WHERE model_name = 'churn' AND model_version = '1.0.0').
          'projection.enabled': 'true',
          'projection.model_name.type': 'injected',
          ...(versioned ? { 'projection.model_version.type': 'injected' } : {}),
          'projection.day.type': 'date',
          'projection.day.format': 'yyyy-MM-dd',
          'projection.day.range': `NOW-${retentionDays}DAYS,NOW`,
          'projection.day.interval': '1',
          'projection.day.interval.unit': 'DAYS',
          'storage.location.template': { 'Fn::Sub': `s3://\${MonitoringBucket}/captures/${kind}/model=\${!model_name}/version=${versioned ? '${!model_version}' : '_'}/date=\${!day}/` },
        },
        StorageDescriptor: {
          Location: { 'Fn::Sub': `s3://\${MonitoringBucket}/captures/${kind}/` },
          InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          SerdeInfo: {
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // A line that is not JSON reads as nulls rather than failing the query.
            Parameters: { 'ignore.malformed.json': 'true' },
          },
          Columns: columns,
        },
      },
    },
  };
}

/** Columns shared by both kinds of line. Objects whose fields vary by model are `string`: the SerDe gives their JSON text, read with json_extract. */
const common = [
  { Name: 'capture', Type: 'string', Comment: '"inference" or "feedback"' },
  { Name: 'inference_id', Type: 'string', Comment: 'the X-Inference-Id of the answer ("<id>/<i>" for the i-th record of a batch)' },
  { Name: 'request_id', Type: 'string', Comment: "the Lambda request id of the call that wrote the line" },
  { Name: 'time', Type: 'string', Comment: 'ISO 8601, UTC: from_iso8601_timestamp("time")' },
  { Name: 'model', Type: 'string' },
];

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const retentionDays = await resolveVariable('param:captureRetentionDays');
  const modelStoreStatements = modelStore.readStatements(await modelStore.storeOf(resolveVariable));
  for (const name of CAPTURING) {
    if (!(name in functions)) throw new Error(`resources/monitoring.js: ${name} is not a function of lib/http/routes.js`);
  }
  for (const [name, role] of [['monitoring', 'MonitoringFunctionRole'], ['monitor', 'MonitorFunctionRole']]) {
    const entry = functions[name] ?? scheduled[name];
    if (entry?.role !== role) throw new Error(`resources/monitoring.js: lib/http/routes.js must give ${name} the role ${role}`);
  }
  const streamName = `${service}-${stage}-captures`;
  const firehoseLogGroup = `/aws/kinesisfirehose/${streamName}`;
  const database = `${service}_${stage}_monitoring`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();

  const resources = {
    // Captures and reports. Private (every public access blocked, ACLs off,
    // TLS only), encrypted at rest with S3-managed keys (SSE-S3: no KMS key to
    // manage or pay per request for). Kept when the stack is deleted or the
    // bucket replaced: captures are data, not infrastructure.
    MonitoringBucket: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            { Id: 'expire-captures', Status: 'Enabled', Prefix: 'captures/', ExpirationInDays: retentionDays },
            { Id: 'expire-capture-errors', Status: 'Enabled', Prefix: 'capture-errors/', ExpirationInDays: retentionDays },
            // Athena's result files: the answers of past queries.
            { Id: 'expire-athena-results', Status: 'Enabled', Prefix: 'athena-results/', ExpirationInDays: 7 },
            { Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
          ],
        },
      },
    },
    MonitoringBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'MonitoringBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TlsOnly',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [bucketArn, objects('')],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },

    // Firehose's own delivery errors (an S3 write refused, a record jq could
    // not parse), where its console and `aws logs tail` show them.
    CaptureDeliveryLogGroup: {
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: firehoseLogGroup, RetentionInDays: await resolveVariable('self:provider.logRetentionInDays') },
    },
    CaptureDeliveryLogStream: {
      Type: 'AWS::Logs::LogStream',
      Properties: { LogGroupName: { Ref: 'CaptureDeliveryLogGroup' }, LogStreamName: 'S3Delivery' },
    },

    // What Firehose may do: write objects under captures/ and capture-errors/
    // (and abort its own multipart uploads there), see the bucket's location
    // and its unfinished uploads, and log its errors. It reads nothing.
    CaptureDeliveryRole: serviceRole(
      'firehose.amazonaws.com',
      'Firehose delivering capture lines to the monitoring bucket',
      // Only on behalf of this account.
      { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
      [
        policy('deliver-captures', [
          allow(['s3:PutObject', 's3:AbortMultipartUpload'], [objects('captures/'), objects('capture-errors/')]),
          allow(['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], [bucketArn]),
          allow(['logs:PutLogEvents'], [{ 'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${firehoseLogGroup}:log-stream:S3Delivery` }]),
        ]),
      ],
    ),

    CaptureDeliveryStream: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: {
        DeliveryStreamName: streamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: bucketArn,
          RoleARN: { 'Fn::GetAtt': ['CaptureDeliveryRole', 'Arn'] },
          Prefix: PREFIX,
          ErrorOutputPrefix: ERROR_PREFIX,
          // Newline-delimited JSON as the functions wrote it (the monitor and Athena read it as is).
          CompressionFormat: 'UNCOMPRESSED',
          // Dynamic partitioning needs at least 64 MB. 300 s: a capture is in S3
          // some 5 to 10 minutes after it was logged (CloudWatch Logs forwards
          // within minutes; Firehose documents up to 1.5 times the interval
          // with dynamic partitioning), well inside each hourly monitor run's
          // window, and a folder gets at most about 288 objects a day.
          BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 300 },
          DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [
              // CloudWatch Logs sends gzip'd batches of log events…
              { Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] },
              // …whose messages (our lines, without CloudWatch's envelope) are the records…
              { Type: 'CloudWatchLogProcessing', Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }] },
              // …partitioned by what each line says…
              {
                Type: 'MetadataExtraction',
                Parameters: [
                  { ParameterName: 'MetadataExtractionQuery', ParameterValue: PARTITION_QUERY },
                  { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
                ],
              },
              // …one per line in the objects (a newline, the processor's default delimiter).
              { Type: 'AppendDelimiterToRecord' },
            ],
          },
          CloudWatchLoggingOptions: { Enabled: true, LogGroupName: firehoseLogGroup, LogStreamName: 'S3Delivery' },
        },
      },
      DependsOn: ['CaptureDeliveryLogStream'],
    },

    // What CloudWatch Logs may do: put the matching lines into this stream, nothing else.
    CaptureSubscriptionRole: serviceRole(
      'logs.amazonaws.com',
      'CloudWatch Logs sending capture lines to the capture stream',
      // CloudWatch Logs of this account and region only (the confused-deputy guard of its subscription documentation).
      { StringLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*' } } },
      [policy('put-captures', [allow(['firehose:PutRecord', 'firehose:PutRecordBatch'], [{ 'Fn::GetAtt': ['CaptureDeliveryStream', 'Arn'] }])])],
    ),

    // The monitor: lists and reads captures/, writes reports/.
    MonitorFunctionRole: functionRole('monitor', 'The scheduled monitor: reads captures, writes reports', [
      allow(['s3:ListBucket'], [bucketArn], { Condition: { StringLike: { 's3:prefix': ['captures/*'] } } }),
      allow(['s3:GetObject'], [objects('captures/')]),
      allow(['s3:PutObject'], [objects('reports/')]),
    ], modelStoreStatements),
    // The monitoring function (feedback in, report summary out): reads
    // reports/ only. And lists the bucket, without a prefix condition: S3
    // answers a GetObject of a missing key (a model with no report yet) with
    // NoSuchKey only to a caller holding s3:ListBucket on the bucket, and with
    // AccessDenied to anyone else, which the function could not tell from a
    // real refusal. Listing shows key names (model, version, day), no data.
    MonitoringFunctionRole: functionRole('monitoring', 'The monitoring function: reads the latest reports', [
      allow(['s3:GetObject'], [objects('reports/')]),
      allow(['s3:ListBucket'], [bucketArn]),
    ], modelStoreStatements),

    // Athena's view of the captures.
    MonitoringDatabase: {
      Type: 'AWS::Glue::Database',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseInput: { Name: database, Description: `Captured inferences and feedback of ${service} (${stage}), README "Monitoring"` },
      },
    },
    InferenceCapturesTable: capturesTable({
      kind: 'inference',
      description: 'One row per captured record of a predict or infer request',
      versioned: true,
      retentionDays,
      columns: [
        ...common,
        { Name: 'version', Type: 'string' },
        { Name: 'route', Type: 'string', Comment: '"predict" or "v2-infer"' },
        { Name: 'api_key_id', Type: 'string', Comment: "the caller's API Gateway key id" },
        { Name: 'input', Type: 'string', Comment: 'JSON: the record as sent (large fields summarized)' },
        { Name: 'features', Type: 'string', Comment: 'JSON: the features the model was given, when they differ from the input' },
        { Name: 'prediction', Type: 'string', Comment: 'JSON: label, score, probabilities or value' },
        { Name: 'output', Type: 'string', Comment: "JSON: the model's outputs when no prediction summarizes them" },
      ],
    }),
    FeedbackCapturesTable: capturesTable({
      kind: 'feedback',
      description: 'One row per feedback item: the true outcome of a captured inference',
      versioned: false,
      retentionDays,
      columns: [...common, { Name: 'api_key_id', Type: 'string' }, { Name: 'actual', Type: 'string', Comment: 'the true label or value (JSON text for a number)' }],
    }),
    // Where Athena writes query results (expired after 7 days), with a cap on
    // what one query may scan: 10 GB is $0.05 at Athena's $5 per TB.
    MonitoringWorkGroup: {
      Type: 'AWS::Athena::WorkGroup',
      Properties: {
        Name: `${service}-${stage}-monitoring`,
        Description: `Queries over the captures of ${service} (${stage})`,
        RecursiveDeleteOption: true,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
          ResultConfiguration: {
            OutputLocation: { 'Fn::Sub': 's3://${MonitoringBucket}/athena-results/' },
            EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          },
        },
      },
    },
  };

  // One subscription per log group that carries capture lines.
  for (const name of CAPTURING) {
    resources[`${pascal(name)}CaptureSubscription`] = {
      Type: 'AWS::Logs::SubscriptionFilter',
      Properties: {
        FilterName: 'captures',
        LogGroupName: { Ref: logGroupId(name) },
        FilterPattern: CAPTURE_FILTER,
        DestinationArn: { 'Fn::GetAtt': ['CaptureDeliveryStream', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['CaptureSubscriptionRole', 'Arn'] },
      },
    };
  }

  return {
    Resources: resources,
    Outputs: {
      MonitoringBucketName: { Description: 'Captures (captures/) and monitoring reports (reports/)', Value: { Ref: 'MonitoringBucket' } },
      CaptureDeliveryStreamName: { Description: 'The Firehose stream the capture lines go through', Value: { Ref: 'CaptureDeliveryStream' } },
      MonitoringDatabaseName: { Description: 'The Glue database of the Athena tables over the captures', Value: { Ref: 'MonitoringDatabase' } },
      MonitoringWorkGroupName: { Description: 'The Athena workgroup to query them in', Value: { Ref: 'MonitoringWorkGroup' } },
    },
  };
};
