import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { objectProblems, resourceTypes } from './helpers/cloudformation-schema';

/**
 * resources/deploy-role.yml, the stack deployed once per account for GitHub
 * Actions (README, "CI/CD"): valid against AWS's CloudFormation resource
 * schemas (@aws-cdk/aws-service-spec, as tests/package/cloudformation-schema
 * .test.ts uses them), a trust policy for this repository's main branch and
 * its dev and prod environments only, and no statement granting `*` actions.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a YAML template of any shape, which the tests below take apart
const template: any = parse(readFileSync(join(__dirname, '..', 'resources', 'deploy-role.yml'), 'utf8'));
const role = template.Resources.DeployRole.Properties;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- IAM statements, as free-form as the template
const statements: any[] = role.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

describe('resources/deploy-role.yml', () => {
  it('is valid against the CloudFormation resource schemas: known types, known properties of the right types, required ones included', () => {
    const problems: string[] = [];
    for (const [id, r] of Object.entries(template.Resources) as [string, { Type: string; Properties: Record<string, unknown> }][]) {
      const shape = resourceTypes.get(r.Type);
      if (!shape) problems.push(`${id}: unknown type ${r.Type}`);
      else problems.push(...objectProblems(r.Properties, shape, id));
    }
    expect(problems).toEqual([]);
    expect(Object.values(template.Resources).map((r) => (r as { Type: string }).Type).sort()).toEqual(['AWS::IAM::OIDCProvider', 'AWS::IAM::Role']);
  });

  it('only refers to its own parameters, conditions and resources', () => {
    const names = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources), 'AWS::Partition', 'AWS::AccountId', 'AWS::Region']);
    const text = JSON.stringify(template);
    const refs = [...text.matchAll(/"Ref":"([^"]+)"/g)].map((m) => m[1]);
    const subs = [...text.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]);
    expect([...refs, ...subs].filter((n) => !names.has(n!))).toEqual([]);
  });

  it('can reuse an existing GitHub OIDC provider', () => {
    expect(template.Resources.GitHubOidcProvider.Condition).toBe('CreateProvider');
    expect(template.Resources.GitHubOidcProvider.Properties.Url).toBe('https://token.actions.githubusercontent.com');
    expect(template.Parameters.ExistingOidcProviderArn).toBeDefined();
  });

  it("trusts only the Repository parameter's main branch and dev/prod environments, audience STS", () => {
    const trust = role.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0].Effect).toBe('Allow');
    expect(trust[0].Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(Object.keys(trust[0].Condition)).toEqual(['StringEquals']);
    const condition = trust[0].Condition.StringEquals;
    expect(condition['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    expect(condition['token.actions.githubusercontent.com:sub']).toEqual([
      { 'Fn::Sub': 'repo:${Repository}:ref:refs/heads/main' },
      { 'Fn::Sub': 'repo:${Repository}:environment:dev' },
      { 'Fn::Sub': 'repo:${Repository}:environment:prod' },
    ]);
  });

  it('grants no `*` actions (no "*", no "service:*", no wildcard in an action)', () => {
    const actions = statements.flatMap((s) => list(s.Action)) as string[];
    expect(actions.length).toBeGreaterThan(50);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(statements.filter((s) => s.NotAction || s.NotResource)).toEqual([]);
  });

  it('scopes resources to the service, with "*" only for actions that have no resource-level permissions', () => {
    const star = statements.filter((s) => list(s.Resource).includes('*'));
    expect(star.map((s) => s.Sid)).toEqual(['NoResourceLevelPermissions']);
    expect(list(star[0].Action).sort()).toEqual(
      ['cloudformation:ValidateTemplate', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics', 'logs:CreateLogDelivery', 'logs:DeleteLogDelivery', 'logs:DeleteResourcePolicy', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:GetLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy'].sort(),
    );
    const passRole = statements.find((s) => list(s.Action).includes('iam:PassRole'));
    expect(passRole.Condition.StringEquals['iam:PassedToService']).toEqual(['lambda.amazonaws.com', 'firehose.amazonaws.com', 'logs.amazonaws.com']);
    expect(list(passRole.Resource)).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Service}-*' }]);
  });

  it("covers every service the packaged prod template's resource types belong to", () => {
    // The compiled prod template's resource types (serverless package --stage prod), by service.
    const services = ['cloudformation', 's3', 'lambda', 'iam', 'apigateway', 'logs', 'cloudwatch', 'sns', 'events', 'firehose', 'glue', 'athena', 'wafv2'];
    const granted = new Set((statements.flatMap((s) => list(s.Action)) as string[]).map((a) => a.split(':')[0]));
    expect(services.filter((s) => !granted.has(s))).toEqual([]);
  });
});
