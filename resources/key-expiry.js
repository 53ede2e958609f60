'use strict';
// The key-expiry function's own role (README, "Access"; the function is in
// lib/http/routes.js's `scheduled` table, its code handlers/key-expiry.ts):
// it lists the API keys of the region's API Gateway (GET /apikeys, without
// their values) and disables the customer keys whose rotation grace has
// ended (PATCH /apikeys/{id}). Nothing else: no other API Gateway resource,
// no key value (that would need GET on /apikeys/{id} with includeValue), no
// deletion. serverless.yml reads this file with ${file()}.

const { scheduled, lambdaLogicalId } = require('../lib/http/routes');

const NAME = 'key-expiry';
const ROLE = 'KeyExpiryFunctionRole';
const logGroupId = lambdaLogicalId(NAME).replace(/LambdaFunction$/, 'LogGroup');
const apiKeys = (suffix) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:apigateway:\${AWS::Region}::/apikeys${suffix}` });

module.exports = async () => {
  if (scheduled[NAME]?.role !== ROLE) throw new Error(`resources/key-expiry.js: lib/http/routes.js must give ${NAME} the role ${ROLE}`);
  return {
    Resources: {
      [ROLE]: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Description: 'The scheduled key expiry: lists API keys, disables expired customer keys',
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            {
              PolicyName: 'logs-and-traces',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  // The log group's ARN ends in ":*", so it covers its streams.
                  { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }] },
                  // X-Ray has no resource-level permissions.
                  { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
                ],
              },
            },
            {
              PolicyName: 'expire-api-keys',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  // GetApiKeys: the collection only.
                  { Effect: 'Allow', Action: ['apigateway:GET'], Resource: [apiKeys('')] },
                  // UpdateApiKey (enabled=false): one key at a time.
                  { Effect: 'Allow', Action: ['apigateway:PATCH'], Resource: [apiKeys('/*')] },
                ],
              },
            },
          ],
        },
      },
    },
  };
};
