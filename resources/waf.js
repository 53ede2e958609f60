'use strict';
// AWS WAF in front of the API stage (README, "Access"), when the `waf` param
// is true (prod): a regional web ACL associated with the stage, logged to a
// CloudWatch log group, and an alarm on what it blocks. Nothing at all when
// it is false. serverless.yml reads this file with ${file()};
// scripts/stage-dependency-plugin.js makes the association wait for the stage
// the framework's deployment creates; resources/dashboard.js draws its
// metrics; tests/package/access-template.test.ts reads the compiled result.
//
// Rules, in the order WAF evaluates them:
//   0 RatePerClientIp  more than wafRateLimit requests from one address in
//                      60 s: 429 with Retry-After and a body in the API's
//                      error shape, until the address's rate falls under it
//   1 KnownBadInputs   AWSManagedRulesKnownBadInputsRuleSet (Log4j and Java
//                      deserialization payloads, localhost Host headers, …)
//   2 CommonRuleSet    AWSManagedRulesCommonRuleSet (OWASP-style: XSS, LFI,
//                      SSRF, bad bots), its SizeRestrictions_BODY rule only
//                      counted: it blocks every body over 8 KB, and batches,
//                      CSV and pictures are larger
// The managed rules' blocks reach the client as API Gateway's WAF_FILTERED
// response (serverless.yml: 403, code request_blocked).

/** Seconds WAF counts a client address's requests over (60, 120, 300 or 600): the block lasts about as long, so it is the Retry-After. */
const RATE_WINDOW_SECONDS = 60;

/**
 * What WAF forwards of a body for inspection, from API Gateway: 16 KB is
 * the default and costs nothing more (32-64 KB are billed per request).
 * Beyond it the managed rules inspect the first 16 KB and let the rest
 * through (their oversize handling, CONTINUE): bodies up to 4 MiB are normal
 * here, and every function validates its whole body itself.
 */
const BODY_INSPECTION_LIMIT = 'KB_16';

const notify = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };
const visibility = (MetricName) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName });

/** The rate-limited answer: WAF's custom responses take no variables, so request_id is "-", as an access log writes an empty value. */
const RATE_LIMITED_BODY = `{"error":"too many requests from your address; retry after ${RATE_WINDOW_SECONDS} seconds","code":"rate_limited","details":[],"request_id":"-"}`;

function managedGroup(name, priority, metricName, ruleActionOverrides) {
  return {
    Name: metricName,
    Priority: priority,
    // The group's own actions (Block), not Count for the whole group.
    OverrideAction: { None: {} },
    Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name, ...(ruleActionOverrides ? { RuleActionOverrides: ruleActionOverrides } : {}) } },
    VisibilityConfig: visibility(metricName),
  };
}

/** The web ACL's name, also its metric name (the WebACL dimension of AWS/WAFV2). */
const webAclName = (service, stage) => `${service}-${stage}`;

/** The rules' metric names (the Rule dimension of AWS/WAFV2), for the dashboard. */
const RULE_METRICS = { rate: 'RatePerClientIp', badInputs: 'KnownBadInputs', common: 'CommonRuleSet' };

module.exports = async ({ resolveVariable }) => {
  const enabled = String(await resolveVariable('param:waf')) === 'true';
  if (!enabled) return {};
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const name = webAclName(service, stage);
  const limit = Number(await resolveVariable('param:wafRateLimit'));
  if (!Number.isInteger(limit) || limit < 10) throw new Error(`wafRateLimit: expected an integer of at least 10 (requests per ${RATE_WINDOW_SECONDS} s per address), got ${limit}`);
  const retention = await resolveVariable('self:provider.logRetentionInDays');

  return {
    Resources: {
      WafWebAcl: {
        Type: 'AWS::WAFv2::WebACL',
        Properties: {
          Name: name,
          Description: `${service} ${stage}: rate per client address, AWS managed common and known-bad-inputs rules (README, "Access")`,
          Scope: 'REGIONAL',
          DefaultAction: { Allow: {} },
          VisibilityConfig: visibility(name),
          AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: BODY_INSPECTION_LIMIT } } },
          CustomResponseBodies: { rate_limited: { ContentType: 'APPLICATION_JSON', Content: RATE_LIMITED_BODY } },
          Rules: [
            {
              Name: RULE_METRICS.rate,
              Priority: 0,
              Statement: { RateBasedStatement: { Limit: limit, EvaluationWindowSec: RATE_WINDOW_SECONDS, AggregateKeyType: 'IP' } },
              Action: {
                Block: {
                  CustomResponse: {
                    ResponseCode: 429,
                    CustomResponseBodyKey: 'rate_limited',
                    ResponseHeaders: [
                      { Name: 'Retry-After', Value: String(RATE_WINDOW_SECONDS) },
                      { Name: 'Access-Control-Allow-Origin', Value: '*' },
                      { Name: 'Access-Control-Expose-Headers', Value: 'Retry-After' },
                    ],
                  },
                },
              },
              VisibilityConfig: visibility(RULE_METRICS.rate),
            },
            managedGroup('AWSManagedRulesKnownBadInputsRuleSet', 1, RULE_METRICS.badInputs),
            managedGroup('AWSManagedRulesCommonRuleSet', 2, RULE_METRICS.common, [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]),
          ],
        },
      },
      // The stage's ARN: it exists once the framework's deployment has
      // created the stage, which the plugin makes this wait for.
      WafWebAclAssociation: {
        Type: 'AWS::WAFv2::WebACLAssociation',
        Properties: {
          ResourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:apigateway:\${AWS::Region}::/restapis/\${ApiGatewayRestApi}/stages/${stage}` },
          WebACLArn: { 'Fn::GetAtt': ['WafWebAcl', 'Arn'] },
        },
      },
      // WAF logs only to a log group whose name starts with aws-waf-logs-.
      WafLogGroup: {
        Type: 'AWS::Logs::LogGroup',
        Properties: { LogGroupName: `aws-waf-logs-${name}`, RetentionInDays: retention },
      },
      WafLoggingConfiguration: {
        Type: 'AWS::WAFv2::LoggingConfiguration',
        Properties: {
          ResourceArn: { 'Fn::GetAtt': ['WafWebAcl', 'Arn'] },
          // The log group's ARN without the ":*" Fn::GetAtt adds, as WAF takes it.
          LogDestinationConfigs: [{ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${WafLogGroup}' }],
          // The key never reaches a log.
          RedactedFields: [{ SingleHeader: { Name: 'x-api-key' } }],
          // Only what WAF blocked: the allowed requests are in API Gateway's
          // access log, the counted ones (bodies over 8 KB) in the metrics.
          LoggingFilter: {
            DefaultBehavior: 'DROP',
            Filters: [{ Behavior: 'KEEP', Requirement: 'MEETS_ANY', Conditions: [{ ActionCondition: { Action: 'BLOCK' } }] }],
          },
        },
      },
      // Every rule's blocks, the rate limit's included (README, "Alarms").
      WafBlockedAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmDescription: 'AWS WAF blocked requests to the API (rate per address or a managed rule): an attack, or a client tripping a rule',
          Namespace: 'AWS/WAFV2',
          MetricName: 'BlockedRequests',
          Dimensions: [
            { Name: 'WebACL', Value: name },
            { Name: 'Region', Value: { Ref: 'AWS::Region' } },
            { Name: 'Rule', Value: 'ALL' },
          ],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: Number(await resolveVariable('param:wafBlockedThreshold')),
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          ...notify,
        },
      },
    },
  };
};

module.exports.webAclName = webAclName;
module.exports.RULE_METRICS = RULE_METRICS;
module.exports.RATE_WINDOW_SECONDS = RATE_WINDOW_SECONDS;
