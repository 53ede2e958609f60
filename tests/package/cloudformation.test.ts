import { stages } from './stages';
import { resolvedService, resourcesOfType, routesOf, template } from './artifacts';
import { LOCAL_FREE_KEY } from '../../scripts/local-key';

const deployable = stages.filter((s) => s.stage !== 'local');

/**
 * The only routes without an API key (README, "The API"): the OpenAPI
 * document and the docs page, which a browser opens without headers.
 */
const PUBLIC_ROUTES = ['GET /docs', 'GET /docs/{asset}', 'GET /openapi.json'];

/** The documented fixed keys of the `local` stage, one per usage plan (README, "The local API"). */
const LOCAL_KEYS = { 'ml-inference-local-free': LOCAL_FREE_KEY, 'ml-inference-local-pro': 'local-pro-key-not-a-secret' };

function ref(value: unknown): string | undefined {
  return (value as { Ref?: string } | undefined)?.Ref;
}

describe.each(stages)('compiled CloudFormation of $name', ({ name, stage, architecture }) => {
  const t = template(name);
  const service = resolvedService(name);

  it('requires an API key on every method but CORS preflight and exactly the docs routes (derived from the template)', () => {
    const methods = resourcesOfType(t, 'AWS::ApiGateway::Method');
    const routes = routesOf(t);
    expect(routes.filter((r) => r.keyed).length).toBeGreaterThanOrEqual(2);
    expect(routes.filter((r) => !r.keyed).map((r) => r.route).sort()).toEqual(PUBLIC_ROUTES);
    for (const { id, route, keyed } of routes.filter((r) => !PUBLIC_ROUTES.includes(r.route))) {
      expect({ id, route, keyed }).toEqual({ id, route, keyed: true });
    }
    // Preflight answers carry no data, and browsers cannot send a key on them.
    for (const [, method] of methods.filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS')) {
      expect(method.Properties.Integration.Type).toBe('MOCK');
    }
  });

  it('declares every media type binary, so API Gateway hands every body to the functions base64-encoded (README, "Limits")', () => {
    const [api, ...others] = resourcesOfType(t, 'AWS::ApiGateway::RestApi');
    expect(others).toEqual([]);
    expect(api![1].Properties.BinaryMediaTypes).toEqual(['*/*']);
  });

  it('has a usage plan per tier with the configured Throttle and Quota, tied to this stage', () => {
    const plans = resourcesOfType(t, 'AWS::ApiGateway::UsagePlan');
    const configured = service.provider.apiGateway.usagePlan.flatMap((entry) => Object.entries(entry));
    expect(configured.map(([tier]) => tier).sort()).toEqual(['free', 'pro']);
    expect(plans).toHaveLength(configured.length);
    for (const [tier, config] of configured) {
      const match = plans.filter(([, p]) => p.Properties.UsagePlanName === `ml-inference-${tier}-${stage}`);
      expect(match).toHaveLength(1);
      const plan = match[0]![1].Properties;
      expect(plan.Throttle).toEqual({ RateLimit: config.throttle.rateLimit, BurstLimit: config.throttle.burstLimit });
      expect(plan.Quota).toEqual({ Limit: config.quota.limit, Period: config.quota.period });
      expect(plan.ApiStages).toEqual([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: stage }]);
    }
  });

  it('binds every API key to exactly one usage plan, and every plan to a key', () => {
    const keys = resourcesOfType(t, 'AWS::ApiGateway::ApiKey');
    const bindings = resourcesOfType(t, 'AWS::ApiGateway::UsagePlanKey');
    const plans = resourcesOfType(t, 'AWS::ApiGateway::UsagePlan').map(([id]) => id);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const [keyId, key] of keys) {
      const own = bindings.filter(([, b]) => ref(b.Properties.KeyId) === keyId);
      expect({ keyId, plans: own.length }).toEqual({ keyId, plans: 1 });
      expect(own[0]![1].Properties.KeyType).toBe('API_KEY');
      expect(plans).toContain(ref(own[0]![1].Properties.UsagePlanId));
      expect(key.Properties.StageKeys).toEqual([{ RestApiId: { Ref: 'ApiGatewayRestApi' }, StageName: stage }]);
      expect(key.Properties.Enabled).toBe(true);
    }
    for (const plan of plans) {
      expect(bindings.some(([, b]) => ref(b.Properties.UsagePlanId) === plan)).toBe(true);
    }
  });

  it('gives every function the runtime, architecture, memory, timeout (its own, else the provider\'s), log retention and concurrency cap of serverless.yml', () => {
    const all = resourcesOfType(t, 'AWS::Lambda::Function');
    const names = Object.values(service.functions).map((f) => f.name);
    const functions = all.filter(([, fn]) => names.includes(fn.Properties.FunctionName));
    expect(functions.map(([, fn]) => fn.Properties.FunctionName).sort()).toEqual([...names].sort());
    // The only other function is osls's custom resource that sets API Gateway's
    // CloudWatch role for access logs (README, "Observability").
    expect(all.filter((f) => !functions.includes(f)).map(([, fn]) => fn.Properties.FunctionName)).toEqual([`ml-inference-${stage}-custom-resource-apigw-cw-role`]);
    const { provider } = service;
    expect(provider.runtime).toBe('nodejs22.x');
    expect(provider.architecture).toBe(architecture);
    for (const [, fn] of functions) {
      const config = Object.values(service.functions).find((f) => f.name === fn.Properties.FunctionName);
      expect(config).toBeDefined();
      expect(fn.Properties.Runtime).toBe(provider.runtime);
      expect(fn.Properties.Architectures).toEqual([provider.architecture]);
      expect(fn.Properties.MemorySize).toBe(config!.memorySize ?? provider.memorySize);
      expect(fn.Properties.Timeout).toBe(config!.timeout ?? provider.timeout);
      expect(fn.Properties.ReservedConcurrentExecutions).toEqual(expect.any(Number));
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(config!.reservedConcurrency);
      expect(fn.Properties.Environment.Variables.DEFAULT_MODEL).toBe('churn');
    }
    const logGroups = resourcesOfType(t, 'AWS::Logs::LogGroup');
    // One per function, API Gateway's access log, Firehose's delivery errors (resources/monitoring.js), and AWS WAF's where it is on (resources/waf.js).
    expect(logGroups.map(([id]) => id)).toContain('ApiGatewayLogGroup');
    expect(logGroups.map(([id]) => id)).toContain('CaptureDeliveryLogGroup');
    expect(logGroups).toHaveLength(functions.length + 2 + (t.Resources.WafLogGroup ? 1 : 0));
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toBe(provider.logRetentionInDays);
  });
});

describe('API key values', () => {
  it.each(deployable)('are generated by API Gateway on the deployable $name: no value comes from the repo', ({ name }) => {
    const keys = resourcesOfType(template(name), 'AWS::ApiGateway::ApiKey');
    expect(keys.length).toBeGreaterThan(0);
    for (const [, key] of keys) expect(key.Properties).not.toHaveProperty('Value');
  });

  it('are fixed on the local stage, one documented value per usage plan', () => {
    const keys = resourcesOfType(template('local'), 'AWS::ApiGateway::ApiKey').map(([, k]) => [k.Properties.Name, k.Properties.Value]);
    expect(Object.fromEntries(keys)).toEqual(LOCAL_KEYS);
    const plans = resourcesOfType(template('local'), 'AWS::ApiGateway::UsagePlanKey').map(([, link]) => ref(link.Properties.KeyId));
    expect(new Set(plans).size).toBe(Object.keys(LOCAL_KEYS).length);
  });

  it('are never a local key on any other stage', () => {
    for (const { name } of deployable) {
      for (const value of Object.values(LOCAL_KEYS)) expect(JSON.stringify(template(name))).not.toContain(value);
    }
  });
});
