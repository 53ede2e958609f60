import { execFileSync } from 'node:child_process';
import { resourcesOfType, template, type Resource } from './artifacts';
import { zipPath } from './zip';

/**
 * The model store in the compiled templates (resources/model-store.js): none
 * by default; with modelStore: create (the dev-store artifact) a versioned,
 * encrypted, private, TLS-only bucket, MODEL_STORE on the functions that read
 * models, and read access to the stage's prefix only.
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (role: Resource): Statement[] => (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const s3Statements = (role: Resource) => statementsOf(role).filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')) && JSON.stringify(s.Resource).includes('ModelStoreBucket'));

describe('the model store in the compiled templates', () => {
  it('is absent by default: no bucket, MODEL_STORE unset, the models in the zip', () => {
    const dev = template('dev');
    expect(Object.keys(dev.Resources).filter((id) => id.startsWith('ModelStore'))).toEqual([]);
    for (const [, fn] of resourcesOfType(dev, 'AWS::Lambda::Function')) expect(fn.Properties.Environment?.Variables?.MODEL_STORE ?? '').toBe('');
    const listing = execFileSync('unzip', ['-Z1', zipPath('dev')], { encoding: 'utf8' });
    expect(listing).toContain('models/churn/1.0.0/model.onnx');
  });

  it('modelStore: create makes a versioned, encrypted, private bucket that refuses plain HTTP, kept when the stack goes', () => {
    const { Resources, Outputs } = template('dev-store') as ReturnType<typeof template> & { Outputs: Record<string, { Value: unknown }> };
    const bucket = Resources.ModelStoreBucket as Resource & { DeletionPolicy?: string };
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const deny = (Resources.ModelStoreBucketPolicy!.Properties.PolicyDocument.Statement as Statement[])[0]!;
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(Outputs.ModelStoreUrl!.Value).toEqual({ 'Fn::Sub': 's3://${ModelStoreBucket}/dev/' });
  });

  it('gives every function that reads models MODEL_STORE, the stage prefix', () => {
    const functions = resourcesOfType(template('dev-store'), 'AWS::Lambda::Function');
    const reading = functions.filter(([id]) => /^(Predict|Models|V2Dashinfer|V2Dashmetadata|Health|Monitoring|Monitor|Docs)LambdaFunction$/.test(id));
    expect(reading.length).toBe(8);
    for (const [, fn] of reading) expect(fn.Properties.Environment.Variables.MODEL_STORE).toEqual({ 'Fn::Sub': 's3://${ModelStoreBucket}/dev/' });
  });

  it("lets the functions list and read the stage's prefix of the bucket, and nothing else of it", () => {
    const resources = template('dev-store').Resources;
    const expected = [
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: { 'Fn::Sub': 'arn:aws:s3:::${ModelStoreBucket}' }, Condition: { StringLike: { 's3:prefix': ['dev/*'] } } },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': 'arn:aws:s3:::${ModelStoreBucket}/dev/*' } },
    ];
    for (const role of ['IamRoleLambdaExecution', 'MonitorFunctionRole', 'MonitoringFunctionRole']) expect(s3Statements(resources[role]!)).toEqual(expected);
    // No role may write to it: pushing is the operator's.
    for (const [, role] of resourcesOfType(template('dev-store'), 'AWS::IAM::Role')) {
      for (const statement of statementsOf(role)) {
        if (JSON.stringify(statement.Resource ?? '').includes('ModelStoreBucket')) expect([statement.Action].flat().every((a) => a === 's3:GetObject' || a === 's3:ListBucket')).toBe(true);
      }
    }
  });
});
