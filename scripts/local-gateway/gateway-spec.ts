// What the local gateway enforces, read from the compiled CloudFormation of
// the `local` stage (`serverless package`), so there is one source: routes
// and whether each needs a key, the keys and their plans' throttles and
// quotas, the GatewayResponses, and each function's reserved concurrency.
// Anything in the template this emulation does not implement stops it at
// start rather than being silently ignored. The REST API's resource policy
// (who may call, by address) is read by source-ip-policy.ts.
import { readSourceIpPolicy, refuseUnemulated, type SourceIpPolicy } from './source-ip-policy';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json }>;

export interface Route {
  method: string;
  /** API Gateway's resource path, e.g. /models/{name}/predict */
  template: string;
  apiKeyRequired: boolean;
  integration:
    | { type: 'lambda'; functionName: string }
    /** A MOCK integration (CORS preflight): its fixed status and headers. */
    | { type: 'mock'; statusCode: number; headers: Record<string, string> };
}

export interface Plan {
  name: string;
  rateLimit: number;
  burstLimit: number;
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH' };
}

export interface ApiKey {
  /** A stable id per key, as `requestContext.identity.apiKeyId` carries one. */
  id: string;
  name: string;
  value: string;
  plan: Plan;
}

export interface GatewayResponse {
  statusCode?: number;
  headers: Record<string, string>;
  /** The application/json template, with $context references. */
  template?: string;
}

export interface LambdaFunction {
  name: string;
  /** ReservedConcurrentExecutions; undefined: no reservation. */
  reservedConcurrency?: number;
}

export interface GatewaySpec {
  stage: string;
  routes: Route[];
  keys: ApiKey[];
  responses: Map<string, GatewayResponse>;
  functions: Map<string, LambdaFunction>;
  /** The REST API's binaryMediaTypes: a request body whose Content-Type matches one reaches the function base64-encoded. */
  binaryMediaTypes: string[];
  /** The REST API's resource policy; undefined: none, every caller may invoke. */
  sourceIpPolicy?: SourceIpPolicy;
}

class UnsupportedTemplate extends Error {}

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [string, { Type: string; Properties: Json }][];

function refOf(value: unknown): string | undefined {
  return value && typeof value === 'object' && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;
}

/** 'value' → value: API Gateway's static mapping values are single-quoted. */
function staticValue(mapped: unknown, where: string): string {
  const match = typeof mapped === 'string' ? /^'(.*)'$/s.exec(mapped) : null;
  if (!match) throw new UnsupportedTemplate(`${where}: only static 'quoted' values are emulated, got ${JSON.stringify(mapped)}`);
  return match[1]!;
}

function headersFrom(parameters: unknown, prefix: string, where: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries((parameters ?? {}) as Json)) {
    if (!name.startsWith(prefix)) throw new UnsupportedTemplate(`${where}: parameter ${name} is not emulated`);
    headers[name.slice(prefix.length)] = staticValue(value, `${where} ${name}`);
  }
  return headers;
}

function resourcePaths(resources: Resources): Map<string, string> {
  const nodes = new Map(ofType(resources, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties]));
  const paths = new Map<string, string>();
  const pathOf = (id: string): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const node = nodes.get(id);
    if (!node) throw new UnsupportedTemplate(`resource ${id} is not in the template`);
    const parent = refOf(node.ParentId);
    const path = `${parent ? pathOf(parent) : ''}/${String(node.PathPart)}`;
    paths.set(id, path);
    return path;
  };
  for (const id of nodes.keys()) pathOf(id);
  return paths;
}

function functionOfUri(uri: unknown, where: string): string {
  // Fn::Join ['', ['arn:', ..., {Fn::GetAtt: [Logical, 'Arn']}, '/invocations']]
  const parts = (uri as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join']?.[1] ?? [];
  const target = parts.find((p): p is { 'Fn::GetAtt': [string, string] } => !!p && typeof p === 'object' && 'Fn::GetAtt' in p);
  if (!target) throw new UnsupportedTemplate(`${where}: integration URI names no Lambda function`);
  return target['Fn::GetAtt'][0];
}

/** `byLogicalId`: the template's functions by logical id, as integration URIs name them. */
function routes(resources: Resources, byLogicalId: Map<string, LambdaFunction>): Route[] {
  const paths = resourcePaths(resources);
  return ofType(resources, 'AWS::ApiGateway::Method').map(([id, { Properties: m }]) => {
    const resourceId = refOf(m.ResourceId);
    const template = resourceId ? paths.get(resourceId) : '/';
    if (template === undefined) throw new UnsupportedTemplate(`${id}: resource ${resourceId} not found`);
    if (m.AuthorizationType !== 'NONE') throw new UnsupportedTemplate(`${id}: authorizers are not emulated`);
    const integration = m.Integration as Json;
    const method = String(m.HttpMethod);
    if (integration.Type === 'AWS_PROXY') {
      const fn = byLogicalId.get(functionOfUri(integration.Uri, id));
      if (!fn) throw new UnsupportedTemplate(`${id}: its function is not in the template`);
      return { method, template, apiKeyRequired: m.ApiKeyRequired === true, integration: { type: 'lambda', functionName: fn.name } };
    }
    if (integration.Type === 'MOCK') {
      const [response, ...more] = (integration.IntegrationResponses ?? []) as Json[];
      if (!response || more.length) throw new UnsupportedTemplate(`${id}: a MOCK integration with one response is emulated`);
      const headers = headersFrom(response.ResponseParameters, 'method.response.header.', id);
      return { method, template, apiKeyRequired: m.ApiKeyRequired === true, integration: { type: 'mock', statusCode: Number(response.StatusCode), headers } };
    }
    throw new UnsupportedTemplate(`${id}: integration type ${String(integration.Type)} is not emulated`);
  });
}

/** The template's functions, by logical id. */
function lambdaFunctions(resources: Resources): Map<string, LambdaFunction> {
  return new Map(
    ofType(resources, 'AWS::Lambda::Function').map(([id, { Properties: f }]) => {
      const reserved = f.ReservedConcurrentExecutions;
      return [id, { name: String(f.FunctionName), reservedConcurrency: reserved === undefined ? undefined : Number(reserved) }];
    }),
  );
}

/**
 * A stable, API Gateway–shaped id (10 lowercase alphanumerics) for a key:
 * the same key gets the same id on every start, two keys never share one.
 */
export function localKeyId(name: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(name)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  return hash.toString(36).padStart(10, '0').slice(-10);
}

/** The template's usage plans, by logical id (also read for the customer keys of the local stage, customer-keys.ts). */
export function plans(resources: Resources): Map<string, Plan> {
  return new Map(
    ofType(resources, 'AWS::ApiGateway::UsagePlan').map(([id, { Properties: p }]) => {
      const throttle = p.Throttle as { RateLimit?: number; BurstLimit?: number } | undefined;
      const quota = p.Quota as { Limit: number; Period: 'DAY' | 'WEEK' | 'MONTH'; Offset?: number } | undefined;
      const stages = (p.ApiStages ?? []) as Json[];
      if (stages.some((s) => s.Throttle)) throw new UnsupportedTemplate(`${id}: per-method throttles are not emulated`);
      if (quota?.Offset) throw new UnsupportedTemplate(`${id}: a quota offset is not emulated`);
      if (!throttle?.RateLimit || !throttle.BurstLimit) throw new UnsupportedTemplate(`${id}: a plan without a throttle is not emulated`);
      return [
        id,
        {
          name: String(p.UsagePlanName),
          rateLimit: Number(throttle.RateLimit),
          burstLimit: Number(throttle.BurstLimit),
          quota: quota && { limit: Number(quota.Limit), period: quota.Period },
        },
      ];
    }),
  );
}

function keys(resources: Resources): ApiKey[] {
  const byPlan = plans(resources);
  const apiKeys = new Map(ofType(resources, 'AWS::ApiGateway::ApiKey'));
  return ofType(resources, 'AWS::ApiGateway::UsagePlanKey').map(([id, { Properties: link }]) => {
    const keyId = refOf(link.KeyId);
    const planId = refOf(link.UsagePlanId);
    const key = keyId ? apiKeys.get(keyId)?.Properties : undefined;
    const plan = planId ? byPlan.get(planId) : undefined;
    if (!key || !plan) throw new UnsupportedTemplate(`${id}: its key or plan is not in the template`);
    if (typeof key.Value !== 'string') {
      throw new UnsupportedTemplate(`key ${String(key.Name)} has no value: the local stage gives every key one (params.local in serverless.yml)`);
    }
    if (key.Enabled === false) throw new UnsupportedTemplate(`key ${String(key.Name)}: disabled keys are not emulated`);
    return { id: localKeyId(String(key.Name)), name: String(key.Name), value: key.Value, plan };
  });
}

function responses(resources: Resources): Map<string, GatewayResponse> {
  return new Map(
    ofType(resources, 'AWS::ApiGateway::GatewayResponse').map(([id, { Properties: g }]) => {
      const templates = (g.ResponseTemplates ?? {}) as Record<string, string>;
      return [
        String(g.ResponseType),
        {
          statusCode: g.StatusCode === undefined ? undefined : Number(g.StatusCode),
          headers: headersFrom(g.ResponseParameters, 'gatewayresponse.header.', id),
          template: templates['application/json'],
        },
      ];
    }),
  );
}

/** The gateway as the compiled template specifies it. */
export function readGatewaySpec(template: { Resources: Resources }, stage: string): GatewaySpec {
  const resources = template.Resources;
  refuseUnemulated(resources);
  const byLogicalId = lambdaFunctions(resources);
  const functions = new Map([...byLogicalId.values()].map((f) => [f.name, f]));
  const [api] = ofType(resources, 'AWS::ApiGateway::RestApi');
  // CloudFormation's form of the list: "~1" stands for "/" (image~1png), as API Gateway's patch paths write it.
  const binaryMediaTypes = ((api?.[1].Properties.BinaryMediaTypes ?? []) as string[]).map((t) => t.replace(/~1/g, '/'));
  const sourceIpPolicy = readSourceIpPolicy(api?.[1].Properties.Policy);
  return { stage, routes: routes(resources, byLogicalId), keys: keys(resources), responses: responses(resources), functions, binaryMediaTypes, sourceIpPolicy };
}
