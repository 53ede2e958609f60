'use strict';
// Who may call the REST API (README, "Access"): the allowedCidrs param
// (serverless.yml) as the API's resource policy. serverless.yml reads
// `resourcePolicy` with ${file()} into provider.apiGateway.resourcePolicy,
// which the framework compiles to the RestApi's Policy (an empty list: no
// policy, Policy ''). The local gateway reads the compiled policy and enforces
// it against the caller's address (scripts/local-gateway/source-ip-policy.ts);
// tests/package/access-template.test.ts reads the compiled templates.
const net = require('node:net');

/**
 * "203.0.113.0/24, 198.51.100.7,2001:db8::/32" → ['203.0.113.0/24',
 * '198.51.100.7/32', '2001:db8::/32']: each entry a CIDR or a single address
 * (as a /32 or /128). A malformed entry stops the packaging, naming it,
 * rather than reaching CloudFormation or leaving the API open.
 */
function parseCidrs(text) {
  const entries = String(text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return entries.map((entry) => {
    const [address, prefix, ...rest] = entry.split('/');
    const family = net.isIP(address);
    const bits = family === 4 ? 32 : 128;
    const valid = family !== 0 && rest.length === 0 && (prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= bits));
    if (!valid) throw new Error(`allowedCidrs: ${JSON.stringify(entry)} is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24)`);
    return prefix === undefined ? `${address}/${bits}` : `${address}/${Number(prefix)}`;
  });
}

/**
 * The resource policy's statements: everyone may invoke every method of the
 * API, except from an address outside the list. The Deny wins over the Allow
 * (IAM's explicit deny), so a caller elsewhere gets API Gateway's
 * ACCESS_DENIED 403 before any key is read. `execute-api:/*` is API
 * Gateway's shorthand for every stage, method and path of this API; each
 * stage is its own API here (one stack per stage), so the list is per stage.
 */
function statementsFor(cidrs) {
  if (cidrs.length === 0) return [];
  const invoke = { Principal: '*', Action: ['execute-api:Invoke'], Resource: ['execute-api:/*'] };
  return [
    { Sid: 'InvokeFromAnywhere', Effect: 'Allow', ...invoke },
    { Sid: 'DenyOutsideAllowedCidrs', Effect: 'Deny', ...invoke, Condition: { NotIpAddress: { 'aws:SourceIp': cidrs } } },
  ];
}

module.exports = {
  parseCidrs,
  statementsFor,
  resourcePolicy: async ({ resolveVariable }) => statementsFor(parseCidrs(await resolveVariable('param:allowedCidrs'))),
};
