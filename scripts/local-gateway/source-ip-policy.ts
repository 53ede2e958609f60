// The REST API's resource policy as the local gateway enforces it (README,
// "Access"): read from the compiled template's RestApi Policy, which
// serverless.yml fills from the allowedCidrs param (resources/access.js). The
// emulation covers what such a policy holds — statements that Allow or Deny
// execute-api:Invoke to everyone on the whole API, unconditionally or on
// aws:SourceIp (IpAddress / NotIpAddress) — evaluated as IAM does: an
// explicit Deny wins, else an Allow, else nothing is allowed. Anything else
// in a policy (other principals, actions, resources, conditions) stops
// `npm start` rather than being silently ignored, as do resources the
// gateway does not emulate at all (AWS WAF).
//
// The caller's address is the connection's, as aws:SourceIp is the address
// API Gateway received the request from; an X-Forwarded-For header is never
// believed.
import { BlockList, isIP } from 'node:net';

type Json = Record<string, unknown>;

export class UnsupportedPolicy extends Error {}

interface Statement {
  effect: 'Allow' | 'Deny';
  /** undefined: the statement applies to every address. */
  sourceIp?: { operator: 'IpAddress' | 'NotIpAddress'; list: BlockList; cidrs: string[] };
}

export interface SourceIpPolicy {
  /** Whether the policy lets a caller at `address` invoke the API. */
  allows(address: string | undefined): boolean;
  /** The policy in one line, for the banner. */
  describe(): string;
}

const INVOKE = 'execute-api:Invoke';
/** API Gateway's shorthand for every stage, method and path of the API. */
const WHOLE_API = 'execute-api:/*';

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** "203.0.113.0/24" or a single address, into the list; a malformed entry stops the start. */
function addCidr(list: BlockList, cidr: unknown, where: string): string {
  const text = String(cidr);
  const [address, prefix, ...rest] = text.split('/');
  const family = isIP(address ?? '');
  const bits = family === 4 ? 32 : 128;
  const length = prefix === undefined ? bits : /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (typeof cidr !== 'string' || family === 0 || rest.length > 0 || !(length >= 0 && length <= bits)) {
    throw new UnsupportedPolicy(`${where}: aws:SourceIp ${JSON.stringify(cidr)} is not an address or CIDR`);
  }
  list.addSubnet(address!, length, family === 4 ? 'ipv4' : 'ipv6');
  return `${address}/${length}`;
}

function readCondition(condition: unknown, where: string): Statement['sourceIp'] {
  if (condition === undefined) return undefined;
  const operators = Object.entries((condition ?? {}) as Json);
  const [entry, ...others] = operators;
  if (!entry || others.length > 0 || (entry[0] !== 'IpAddress' && entry[0] !== 'NotIpAddress')) {
    throw new UnsupportedPolicy(`${where}: only a single IpAddress or NotIpAddress condition is emulated, got ${JSON.stringify(condition)}`);
  }
  const [operator, keys] = entry as ['IpAddress' | 'NotIpAddress', unknown];
  const keyEntries = Object.entries((keys ?? {}) as Json);
  // IAM's condition keys are case-insensitive.
  if (keyEntries.length !== 1 || keyEntries[0]![0].toLowerCase() !== 'aws:sourceip') {
    throw new UnsupportedPolicy(`${where}: only the aws:SourceIp condition key is emulated, got ${JSON.stringify(keys)}`);
  }
  const list = new BlockList();
  const cidrs = asList(keyEntries[0]![1]).map((cidr) => addCidr(list, cidr, where));
  return { operator, list, cidrs };
}

function readStatement(statement: unknown, index: number): Statement {
  const where = `the REST API's resource policy, statement ${index}`;
  const s = (statement ?? {}) as Json;
  const unknownKeys = Object.keys(s).filter((key) => !['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(key));
  if (unknownKeys.length > 0) throw new UnsupportedPolicy(`${where}: ${unknownKeys.join(', ')} is not emulated`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new UnsupportedPolicy(`${where}: Effect ${JSON.stringify(s.Effect)} is not Allow or Deny`);
  const principal = s.Principal;
  const everyone = principal === '*' || (typeof principal === 'object' && principal !== null && Object.keys(principal).length === 1 && (principal as Json).AWS === '*');
  if (!everyone) throw new UnsupportedPolicy(`${where}: only the principal "*" is emulated, got ${JSON.stringify(principal)}`);
  const actions = asList(s.Action);
  if (actions.length === 0 || actions.some((a) => a !== INVOKE)) throw new UnsupportedPolicy(`${where}: only the action ${INVOKE} is emulated, got ${JSON.stringify(s.Action)}`);
  const resources = asList(s.Resource);
  if (resources.length === 0 || resources.some((r) => r !== WHOLE_API)) {
    throw new UnsupportedPolicy(`${where}: only the resource ${WHOLE_API} (the whole API) is emulated, got ${JSON.stringify(s.Resource)}`);
  }
  return { effect: s.Effect, sourceIp: readCondition(s.Condition, where) };
}

/** The caller's address as aws:SourceIp compares it: IPv4 for an IPv4-mapped IPv6 address. */
function normalised(address: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1]! : address;
  const family = isIP(plain);
  return family === 0 ? undefined : { address: plain, family: family === 4 ? 'ipv4' : 'ipv6' };
}

function applies(statement: Statement, caller: { address: string; family: 'ipv4' | 'ipv6' } | undefined): boolean {
  if (!statement.sourceIp) return true;
  const inList = caller !== undefined && statement.sourceIp.list.check(caller.address, caller.family);
  return statement.sourceIp.operator === 'IpAddress' ? inList : !inList;
}

/**
 * The RestApi's Policy property: '' or absent is no policy (every caller
 * may invoke); otherwise the policy document, as an object or as JSON text.
 */
export function readSourceIpPolicy(policy: unknown): SourceIpPolicy | undefined {
  if (policy === undefined || policy === '' || policy === null) return undefined;
  let document: unknown = policy;
  if (typeof policy === 'string') {
    try {
      document = JSON.parse(policy);
    } catch {
      throw new UnsupportedPolicy("the REST API's resource policy is not JSON");
    }
  }
  const d = (document ?? {}) as Json;
  if (d.Version !== '2012-10-17' || !Array.isArray(d.Statement) || Object.keys(d).some((k) => k !== 'Version' && k !== 'Statement')) {
    throw new UnsupportedPolicy(`the REST API's resource policy: a document of Version 2012-10-17 and its Statement list is emulated, got ${JSON.stringify(document).slice(0, 200)}`);
  }
  const statements = d.Statement.map(readStatement);
  return {
    allows(address) {
      const caller = address === undefined ? undefined : normalised(address);
      const matching = statements.filter((s) => applies(s, caller));
      if (matching.some((s) => s.effect === 'Deny')) return false;
      return matching.some((s) => s.effect === 'Allow');
    },
    describe() {
      return statements
        .map((s) => `${s.effect}${s.sourceIp ? ` ${s.sourceIp.operator === 'IpAddress' ? 'from' : 'from outside'} ${s.sourceIp.cidrs.join(', ')}` : ' from anywhere'}`)
        .join('; ');
    },
  };
}

/** Resource types of the template the local gateway does not emulate: their presence stops the start. */
const NOT_EMULATED: Record<string, string> = {
  'AWS::WAFv2::WebACLAssociation': 'AWS WAF is not emulated by the local gateway; start without --param=waf=true',
};

export function refuseUnemulated(resources: Record<string, { Type: string }>): void {
  for (const [id, resource] of Object.entries(resources)) {
    const why = NOT_EMULATED[resource.Type];
    if (why) throw new UnsupportedPolicy(`${id} (${resource.Type}): ${why}`);
  }
}
