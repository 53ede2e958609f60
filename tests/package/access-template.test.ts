import { isErrorBody } from '../helpers/error-body';
import { resolvedService, resourcesOfType, template, type Resource, type Template } from './artifacts';
import { stages } from './stages';

/**
 * Who may call, read from the packaged templates (README, "Access"): the
 * allowedCidrs param as the REST API's resource policy, and AWS WAF where the
 * waf param is on (prod). Their validity against AWS's resource schemas is
 * tests/package/cloudformation-schema.test.ts's, over the same templates;
 * the local gateway's enforcement is tests/package/local-api-access.test.ts's.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- CloudFormation properties are free-form JSON

const params = (name: string) => (resolvedService(name) as unknown as { initialServerlessConfig: { params: Record<string, Record<string, unknown>> } }).initialServerlessConfig.params;
const wafResources = (t: Template) => Object.entries(t.Resources).filter(([, r]) => r.Type.startsWith('AWS::WAFv2::'));
/** The packaging arguments of a stage of tests/package/stages.js. */
const argsOf = (name: string) => stages.find((s) => s.name === name)!.args ?? [];
const dashboardBody = (t: Template) => JSON.parse(String(resourcesOfType(t, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody['Fn::Sub'])) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };

describe('the IP allow-list (param allowedCidrs) as the REST API resource policy', () => {
  it('is empty by default on every stage: no resource policy, as before (Policy "")', () => {
    expect(params('dev').default!.allowedCidrs).toBe('');
    for (const name of ['local', 'dev', 'prod', 'dev-arm64']) {
      expect({ name, policy: template(name).Resources.ApiGatewayRestApi!.Properties.Policy }).toEqual({ name, policy: '' });
    }
  });

  it('holds exactly the listed CIDRs when packaged with --param=allowedCidrs=…: an Allow for everyone, a Deny outside the list', () => {
    expect(argsOf('dev-cidrs')).toEqual(['--param=allowedCidrs=203.0.113.0/24,198.51.100.7,2001:db8::/32']);
    const policy = template('dev-cidrs').Resources.ApiGatewayRestApi!.Properties.Policy as Json;
    const invoke = { Principal: '*', Action: ['execute-api:Invoke'], Resource: 'execute-api:/*' };
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'InvokeFromAnywhere', Effect: 'Allow', ...invoke },
        // A single address becomes its /32.
        { Sid: 'DenyOutsideAllowedCidrs', Effect: 'Deny', ...invoke, Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32'] } } },
      ],
    });
  });

  it('refuses callers elsewhere with ACCESS_DENIED in the error shape, on every stage', () => {
    for (const name of ['dev', 'dev-cidrs', 'prod']) {
      const [, response] = resourcesOfType(template(name), 'AWS::ApiGateway::GatewayResponse').find(([, r]) => r.Properties.ResponseType === 'ACCESS_DENIED')!;
      expect(response.Properties.StatusCode).toBe('403');
      const body = JSON.parse(String(response.Properties.ResponseTemplates['application/json']).replace('$context.requestId', 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef')) as Json;
      expect(isErrorBody(body)).toBe(true);
      expect(body.code).toBe('access_denied');
    }
  });

  it('changes nothing else: the allow-listed template is dev\'s but for the policy (and the deployment\'s generated id)', () => {
    const strip = (t: Template) => {
      const resources = Object.fromEntries(Object.entries(t.Resources).filter(([, r]) => r.Type !== 'AWS::ApiGateway::Deployment'));
      const copy = JSON.parse(JSON.stringify(resources).replace(/ApiGatewayDeployment\d+/g, 'ApiGatewayDeployment')) as Record<string, Resource>;
      delete copy.ApiGatewayRestApi!.Properties.Policy;
      // The code's zip is the same build; its S3 key carries the packaging's timestamp.
      return JSON.parse(JSON.stringify(copy).replace(/serverless\/ml-inference\/dev\/[^"]+/g, 'artifact')) as unknown;
    };
    // Compared as objects: the resources' order in the file may differ.
    expect(strip(template('dev-cidrs'))).toEqual(strip(template('dev')));
  });
});

describe('AWS WAF (param waf): off on dev, on for prod', () => {
  it('adds nothing on dev: no web ACL, log group, alarm or widget', () => {
    expect(params('dev').default!.waf).toBe(false);
    expect(params('dev').prod!.waf).toBe(true);
    for (const name of ['local', 'dev', 'dev-cidrs']) {
      const t = template(name);
      expect({ name, waf: wafResources(t).map(([id]) => id) }).toEqual({ name, waf: [] });
      expect(Object.keys(t.Resources).filter((id) => id.startsWith('Waf'))).toEqual([]);
      if (name !== 'local') expect(dashboardBody(t).widgets.map((w) => w.properties.title).filter((title) => /WAF/.test(title))).toEqual([]);
    }
  });

  describe('on prod', () => {
    const t = template('prod');
    const defaults = params('prod').default!;
    const acl = t.Resources.WafWebAcl!.Properties as Json;
    const rules = acl.Rules as Json[];

    it('has exactly a web ACL, its association with the stage, its log group and logging, and the blocked-requests alarm', () => {
      expect(Object.entries(t.Resources).filter(([id]) => id.startsWith('Waf')).map(([id, r]) => [id, r.Type])).toEqual([
        ['WafWebAcl', 'AWS::WAFv2::WebACL'],
        ['WafWebAclAssociation', 'AWS::WAFv2::WebACLAssociation'],
        ['WafLogGroup', 'AWS::Logs::LogGroup'],
        ['WafLoggingConfiguration', 'AWS::WAFv2::LoggingConfiguration'],
        ['WafBlockedAlarm', 'AWS::CloudWatch::Alarm'],
      ]);
    });

    it('is a regional web ACL that allows by default, with metrics and sampled requests', () => {
      expect(acl).toMatchObject({ Name: 'ml-inference-prod', Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
      expect(acl.VisibilityConfig).toEqual({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'ml-inference-prod' });
      for (const rule of rules) expect(rule.VisibilityConfig).toEqual({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: rule.Name });
    });

    it('limits each client address to wafRateLimit requests a minute, answering 429 with Retry-After and a body in the error shape', () => {
      const [rate] = rules;
      expect(rate).toMatchObject({ Name: 'RatePerClientIp', Priority: 0 });
      expect(rate!.Statement).toEqual({ RateBasedStatement: { Limit: defaults.wafRateLimit, EvaluationWindowSec: 60, AggregateKeyType: 'IP' } });
      // Above the pro plan's 100 requests/s: a client within its plan never meets it.
      expect(defaults.wafRateLimit as number).toBeGreaterThan((defaults.proRateLimit as number) * 60);
      const custom = rate!.Action.Block.CustomResponse as Json;
      expect(custom.ResponseCode).toBe(429);
      expect(custom.ResponseHeaders).toEqual(expect.arrayContaining([{ Name: 'Retry-After', Value: '60' }, { Name: 'Access-Control-Allow-Origin', Value: '*' }]));
      const body = acl.CustomResponseBodies[custom.CustomResponseBodyKey] as Json;
      expect(body.ContentType).toBe('APPLICATION_JSON');
      const parsed = JSON.parse(body.Content) as Json;
      expect(isErrorBody(parsed)).toBe(true);
      expect(parsed).toMatchObject({ code: 'rate_limited', error: expect.stringContaining('60 seconds') });
    });

    it("runs AWS's known-bad-inputs and common rule groups, the common set's SizeRestrictions_BODY only counted", () => {
      expect(rules.slice(1)).toEqual([
        {
          Name: 'KnownBadInputs',
          Priority: 1,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
          VisibilityConfig: expect.any(Object),
        },
        {
          Name: 'CommonRuleSet',
          Priority: 2,
          OverrideAction: { None: {} },
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet', RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }] },
          },
          VisibilityConfig: expect.any(Object),
        },
      ]);
      expect(rules).toHaveLength(3);
    });

    it('inspects the first 16 KB of a body from API Gateway (the default, no extra fee); the rest passes on', () => {
      expect(acl.AssociationConfig).toEqual({ RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_16' } } });
    });

    it('is associated with the prod stage of this REST API, once the framework\'s deployment has created the stage', () => {
      const association = t.Resources.WafWebAclAssociation!;
      expect(association.Properties).toEqual({
        ResourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiGatewayRestApi}/stages/prod' },
        WebACLArn: { 'Fn::GetAtt': ['WafWebAcl', 'Arn'] },
      });
      const [deployment, ...others] = resourcesOfType(t, 'AWS::ApiGateway::Deployment');
      expect(others).toEqual([]);
      expect(deployment![1].Properties.StageName).toBe('prod');
      expect(association.DependsOn).toEqual([deployment![0]]);
    });

    it('logs what it blocks to a log group named aws-waf-logs-…, the API key redacted', () => {
      const group = t.Resources.WafLogGroup!.Properties;
      expect(group.LogGroupName).toBe('aws-waf-logs-ml-inference-prod');
      expect(group.LogGroupName).toMatch(/^aws-waf-logs-/);
      expect(group.RetentionInDays).toBe(t.Resources.ApiGatewayLogGroup!.Properties.RetentionInDays);
      const logging = t.Resources.WafLoggingConfiguration!.Properties;
      expect(logging.ResourceArn).toEqual({ 'Fn::GetAtt': ['WafWebAcl', 'Arn'] });
      // The group's ARN without Fn::GetAtt's trailing ":*".
      expect(logging.LogDestinationConfigs).toEqual([{ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WafLogGroup}' }]);
      expect(logging.RedactedFields).toEqual([{ SingleHeader: { Name: 'x-api-key' } }]);
      expect(logging.LoggingFilter).toEqual({ DefaultBehavior: 'DROP', Filters: [{ Behavior: 'KEEP', Requirement: 'MEETS_ANY', Conditions: [{ ActionCondition: { Action: 'BLOCK' } }] }] });
    });

    it('alarms on the requests it blocks, at wafBlockedThreshold in 5 minutes, notifying the topic', () => {
      const alarm = t.Resources.WafBlockedAlarm!.Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/WAFV2',
        MetricName: 'BlockedRequests',
        Dimensions: [{ Name: 'WebACL', Value: 'ml-inference-prod' }, { Name: 'Region', Value: { Ref: 'AWS::Region' } }, { Name: 'Rule', Value: 'ALL' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: defaults.wafBlockedThreshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      });
    });

    it('draws its metrics on the dashboard: allowed, blocked, counted, and the blocks of each rule', () => {
      const widgets = dashboardBody(t).widgets.filter((w) => /WAF/.test(w.properties.title));
      expect(widgets.map((w) => w.properties.title)).toEqual(['AWS WAF: requests allowed, blocked and counted', 'AWS WAF: blocked per rule']);
      const rows = widgets.flatMap((w) => w.properties.metrics).map((row) => row.slice(0, 8).join(' '));
      expect(rows).toEqual([
        'AWS/WAFV2 AllowedRequests WebACL ml-inference-prod Region ${AWS::Region} Rule ALL',
        'AWS/WAFV2 BlockedRequests WebACL ml-inference-prod Region ${AWS::Region} Rule ALL',
        'AWS/WAFV2 CountedRequests WebACL ml-inference-prod Region ${AWS::Region} Rule ALL',
        ...rules.map((rule) => `AWS/WAFV2 BlockedRequests WebACL ml-inference-prod Region \${AWS::Region} Rule ${rule.Name as string}`),
      ]);
    });
  });
});

describe('Retry-After on every answer to retry (README, "Limits that explain themselves")', () => {
  it.each(['dev', 'prod'])('%s: the usage plans\' 429s, a throttled function\'s 500 and WAF\'s rate limit say when', (name) => {
    const t = template(name);
    const responses = Object.fromEntries(resourcesOfType(t, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    expect(responses.THROTTLED!.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    expect(responses.QUOTA_EXCEEDED!.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'86400'");
    expect(responses.INTEGRATION_FAILURE!.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    // INTEGRATION_FAILURE keeps API Gateway's status: 500 for a throttled function, 502 for a failed one.
    expect(responses.INTEGRATION_FAILURE!.StatusCode).toBeUndefined();
    expect(JSON.parse(String(responses.INTEGRATION_FAILURE!.ResponseTemplates['application/json']).replace('$context.requestId', 'x'))).toMatchObject({
      code: 'function_unavailable',
      error: expect.stringMatching(/500 means it is at its concurrency limit.*Retry-After.*502 means it failed/),
    });
  });
});
