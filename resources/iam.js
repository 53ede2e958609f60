'use strict';
// The IAM pieces resources/monitoring.js and resources/batch.js share: an
// inline policy, an Allow statement, a Lambda function's own role (its log
// group, X-Ray, and the statements of its work), and a service's role.

const { lambdaLogicalId } = require('../lib/http/routes');

/** "v2-infer" → "V2DashinferLogGroup": the log group the Serverless Framework creates for a function. */
const logGroupId = (name) => lambdaLogicalId(name).replace(/LambdaFunction$/, 'LogGroup');
const policy = (name, statements) => ({ PolicyName: name, PolicyDocument: { Version: '2012-10-17', Statement: statements } });
const allow = (Action, Resource, extra = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });

/** A Lambda function's own role: its log group, X-Ray (which has no resource-level permissions), and the inline policies of its work. */
function functionRole(name, description, policies) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: description,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [
        policy('logs-and-traces', [
          // The log group's ARN ends in ":*", so it covers its streams.
          allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [{ 'Fn::GetAtt': [logGroupId(name), 'Arn'] }]),
          allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'),
        ]),
        ...policies,
      ],
    },
  };
}

/**
 * A role an AWS service assumes on this stack's behalf (Firehose, CloudWatch
 * Logs, Step Functions): its trust, with the condition that keeps another
 * account's use of the service out (the confused-deputy guard), and its
 * inline policies.
 */
function serviceRole(service, description, condition, policies) {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: description,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition: condition }],
      },
      Policies: policies,
    },
  };
}

module.exports = { logGroupId, policy, allow, functionRole, serviceRole };
