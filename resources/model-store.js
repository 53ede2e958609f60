'use strict';
// The model store (README, "Large models"): with the modelStore param set,
// the functions serve the models of an S3 prefix instead of the package's
// models/, and the package carries none.
//
//   modelStore: ''        no store: the package's models/ (the default)
//   modelStore: create    a bucket of this stack: versioned, encrypted, private, TLS only
//   modelStore: <bucket>  an existing bucket, e.g. one shared by several stages
//
// Each stage reads its own prefix, `<stage>/`, and nothing else: its
// functions may list that prefix and get its objects (IAM below), no more;
// writing is the operator's (`npm run model:push -- <name> --stage <s>`,
// which finds the store in the stack output ModelStoreUrl). modelPins
// (MODEL_STORE_PINS) pins the versions a stage serves. serverless.yml reads
// the exports with ${file()}; tests/package/model-store-template.test.ts
// reads the compiled templates.

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What the modelStore param asks for: none, a bucket of this stack, or a named one. */
async function storeOf(resolveVariable) {
  const param = String((await resolveVariable('param:modelStore')) ?? '').trim();
  const stage = await resolveVariable('sls:stage');
  if (param === '') return null;
  if (param !== 'create' && !BUCKET_NAME.test(param)) throw new Error(`modelStore: ${JSON.stringify(param)} is neither '', 'create' nor an S3 bucket name`);
  const bucket = param === 'create' ? { Ref: 'ModelStoreBucket' } : param;
  return { create: param === 'create', bucket, prefix: `${stage}/` };
}

/** A value that is the bucket's name, plain or by Ref, inside Fn::Sub. */
const sub = (store, text) => (store.create ? { 'Fn::Sub': text.replaceAll('BUCKET', '${ModelStoreBucket}') } : text.replaceAll('BUCKET', store.bucket));

/** The statements the functions that read models need: list their prefix, get its objects. */
function readStatements(store) {
  if (!store) return [];
  return [
    { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: sub(store, 'arn:aws:s3:::BUCKET'), Condition: { StringLike: { 's3:prefix': [`${store.prefix}*`] } } },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: sub(store, `arn:aws:s3:::BUCKET/${store.prefix}*`) },
  ];
}

function bucketResources(store) {
  if (!store?.create) return {};
  return {
    ModelStoreBucket: {
      Type: 'AWS::S3::Bucket',
      // Models are the service's data: a stack removed keeps them.
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        // Every push kept: a version overwritten by mistake can be brought back.
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        // Old versions of an object are kept 30 days, then go.
        LifecycleConfiguration: { Rules: [{ Id: 'expire-old-versions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] },
      },
    },
    ModelStoreBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'ModelStoreBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [{ 'Fn::GetAtt': ['ModelStoreBucket', 'Arn'] }, { 'Fn::Sub': '${ModelStoreBucket.Arn}/*' }],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
  };
}

module.exports = {
  storeOf,
  readStatements,
  /** resources: the bucket (modelStore: create) and the ModelStoreUrl output. */
  resources: async ({ resolveVariable }) => {
    const store = await storeOf(resolveVariable);
    if (!store) return {};
    return {
      Resources: bucketResources(store),
      Outputs: { ModelStoreUrl: { Description: 'The model store of this stage (MODEL_STORE; npm run model:push -- <name> --stage <stage>)', Value: sub(store, `s3://BUCKET/${store.prefix}`) } },
    };
  },
  /** provider.environment.MODEL_STORE: the stage's prefix of the store, or '' (unset: the package's models). */
  storeUrl: async ({ resolveVariable }) => {
    const store = await storeOf(resolveVariable);
    return store ? sub(store, `s3://BUCKET/${store.prefix}`) : '';
  },
  /** provider.iam.role.statements (and the monitoring functions' own roles): read the stage's prefix. */
  statements: async ({ resolveVariable }) => readStatements(await storeOf(resolveVariable)),
  /**
   * provider.environment.MODEL_STORE_CACHE_MB: the function's /tmp
   * (ephemeralStorageSize, which scripts/model-sizing.js sizes at twice the
   * largest model and 64 MB more) less those 64 MB for everything else.
   */
  cacheMb: async ({ resolveVariable }) => String(Number(await resolveVariable('param:ephemeralStorageSize')) - 64),
  /** The last package pattern: with a store the package carries no models. */
  modelsPattern: async ({ resolveVariable }) => ((await storeOf(resolveVariable)) ? '!models/**' : 'models/*/traffic.json'),
};
