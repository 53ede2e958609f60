import { functions as httpFunctions, scheduled, steps } from '../../lib/http/routes';
import { DIMENSIONS, METRIC_CATALOG } from '../../lib/observability/metrics';
import { resolvedService, resourcesOfType, template, type Resource } from './artifacts';
import { stages } from './stages';

/**
 * What `serverless deploy` would create for watching production (README,
 * "Observability"), read from the packaged templates and, for what the
 * framework applies to the API stage after deploying, serverless-state.json.
 */

interface ObservedService {
  provider: {
    tracing?: { lambda: boolean; apiGateway: boolean };
    logs?: { restApi?: { accessLogging: boolean; executionLogging: boolean; roleManagedExternally: boolean; format: string } };
    environment: Record<string, string>;
  };
  functions: Record<string, { name: string }>;
  initialServerlessConfig: { params: { default: Record<string, unknown> } };
}

const deployable = stages.filter((s) => s.stage !== 'local');
const catalogNames = METRIC_CATALOG.map((m) => m.name);
/** Metrics AWS publishes that the alarms and dashboard read. */
const AWS_METRICS: Record<string, string[]> = {
  'AWS/ApiGateway': ['Count', '4XXError', '5XXError'],
  'AWS/Lambda': ['Errors', 'Throttles', 'Duration'],
  'AWS/WAFV2': ['AllowedRequests', 'BlockedRequests', 'CountedRequests'],
};
/** The metric filter's metric, from API Gateway's access log. */
const FILTER_METRIC = 'Throttled';

const observed = (name: string) => resolvedService(name) as unknown as ObservedService;
const functionIds = (name: string) => {
  const names = Object.values(observed(name).functions).map((f) => f.name);
  return resourcesOfType(template(name), 'AWS::Lambda::Function').filter(([, fn]) => names.includes(fn.Properties.FunctionName)).map(([id]) => id);
};

/** Every metric an alarm reads: its own, or each of its metric-math metrics. */
function alarmMetrics(alarm: Resource): { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }[] {
  const p = alarm.Properties;
  if (p.MetricName) return [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }];
  return (p.Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } } }[])
    .filter((m) => m.MetricStat)
    .map((m) => m.MetricStat!.Metric);
}

describe.each(deployable)('observability of the packaged $name stage', ({ name, stage }) => {
  const t = template(name);
  const service = observed(name);
  const namespace = `ml-inference/${stage}`;
  const params = service.initialServerlessConfig.params.default;
  const alarms = Object.fromEntries(resourcesOfType(t, 'AWS::CloudWatch::Alarm'));

  it('traces every function and the API stage, and names a metrics namespace per stage', () => {
    expect(service.provider.tracing).toEqual({ lambda: true, apiGateway: true });
    const ids = functionIds(name);
    expect(ids).toHaveLength(Object.keys(httpFunctions).length + Object.keys(scheduled).length + Object.keys(steps).length);
    for (const id of ids) {
      const fn = t.Resources[id]!.Properties;
      expect({ id, tracing: fn.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
      expect(fn.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace);
      // The code sends subsegments only when this says so (lib/observability/tracing.ts).
      expect(fn.Environment.Variables.XRAY_TRACING).toBe('true');
    }
    // The functions' role may send segments to X-Ray.
    const role = JSON.stringify(t.Resources.IamRoleLambdaExecution!.Properties.Policies);
    expect(role).toContain('xray:PutTraceSegments');
  });

  it('writes a JSON access log with the key id and status, and sets the CloudWatch role by custom resource', () => {
    const restApi = service.provider.logs?.restApi;
    expect(restApi).toMatchObject({ accessLogging: true, executionLogging: false, roleManagedExternally: false });
    // $context variables filled as API Gateway would: the line must be JSON with a numeric status.
    const line = restApi!.format.replace(/"\$context\.[\w.]+"/g, '"x"').replace(/\$context\.[\w.]+/g, '429');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(restApi!.format).toContain('"apiKeyId":"$context.identity.apiKeyId"');
    expect(parsed.status).toBe(429);
    expect(Object.keys(parsed)).not.toContain('ip');
    expect(t.Resources.ApiGatewayLogGroup!.Properties.LogGroupName).toBe(`/aws/api-gateway/ml-inference-${stage}`);
    expect(resourcesOfType(t, 'Custom::ApiGatewayAccountRole')).toHaveLength(1);
  });

  it('counts 429s with a metric filter on that access log', () => {
    const filters = resourcesOfType(t, 'AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(1);
    const filter = filters[0]![1].Properties;
    expect(filter.LogGroupName).toEqual({ Ref: 'ApiGatewayLogGroup' });
    expect(filter.FilterPattern).toBe('{ $.status = 429 }');
    expect(filter.MetricTransformations).toEqual([{ MetricNamespace: namespace, MetricName: FILTER_METRIC, MetricValue: '1' }]);
  });

  it.each([
    ['Api5xxAlarm', 'AWS/ApiGateway', '5XXError', 'api5xxThreshold'],
    ['Api4xxSpikeAlarm', 'AWS/ApiGateway', '4XXError', 'api4xxRateThreshold'],
    ['Throttled429Alarm', 'ml-inference', FILTER_METRIC, 'throttled429Threshold'],
    ['LambdaErrorsAlarm', 'AWS/Lambda', 'Errors', 'lambdaErrorsThreshold'],
    ['LambdaThrottlesAlarm', 'AWS/Lambda', 'Throttles', 'lambdaThrottlesThreshold'],
    ['PredictP99LatencyAlarm', 'AWS/Lambda', 'Duration', 'p99LatencyMs'],
    ['V2InferP99LatencyAlarm', 'AWS/Lambda', 'Duration', 'p99LatencyMs'],
    ['ModelNotReadyAlarm', 'ml-inference', 'ModelNotReady', null],
    ['FeatureDriftAlarm', 'ml-inference', 'FeatureDrift', 'driftAlarmThreshold'],
    ['LiveAccuracyAlarm', 'ml-inference', 'LiveAccuracy', 'liveAccuracyThreshold'],
  ])('has %s on %s %s, its threshold from its param, notifying the topic', (id, ns, metric, param) => {
    const alarm = alarms[id];
    expect(alarm).toBeDefined();
    const metrics = alarmMetrics(alarm!);
    for (const m of metrics) {
      expect(m.Namespace).toBe(ns === 'ml-inference' ? namespace : ns);
      expect(m.MetricName).toBe(metric);
    }
    expect(alarm!.Properties.Threshold).toBe(param === null ? 1 : params[param]);
    expect(alarm!.Properties.TreatMissingData).toBe('notBreaching');
    expect(alarm!.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  it('alarms on metrics that exist: AWS dimensions name this API and these functions, ours match the catalog', () => {
    const apiName = t.Resources.ApiGatewayRestApi!.Properties.Name;
    const ids = functionIds(name);
    expect(Object.keys(alarms).sort()).toEqual(
      [
        'Api4xxSpikeAlarm',
        'Api5xxAlarm',
        'FeatureDriftAlarm',
        'LambdaErrorsAlarm',
        'LambdaThrottlesAlarm',
        'LiveAccuracyAlarm',
        'ModelNotReadyAlarm',
        'PredictP99LatencyAlarm',
        'Throttled429Alarm',
        'V2InferP99LatencyAlarm',
        // AWS WAF's, where it is on (param waf: prod; tests/package/access-template.test.ts).
        ...(stage === 'prod' ? ['WafBlockedAlarm'] : []),
      ].sort(),
    );
    const lambdaRefs = new Set<string>();
    for (const alarm of Object.values(alarms)) {
      for (const m of alarmMetrics(alarm)) {
        const dims = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        if (m.Namespace === 'AWS/ApiGateway') expect(dims).toEqual({ ApiName: apiName, Stage: stage });
        else if (m.Namespace === 'AWS/WAFV2') expect(dims).toEqual({ WebACL: t.Resources.WafWebAcl!.Properties.VisibilityConfig.MetricName, Region: { Ref: 'AWS::Region' }, Rule: 'ALL' });
        else if (m.Namespace === 'AWS/Lambda') {
          expect(Object.keys(dims)).toEqual(['FunctionName']);
          const ref = (dims.FunctionName as { Ref: string }).Ref;
          expect(ids).toContain(ref);
          lambdaRefs.add(ref);
        } else if (m.MetricName !== FILTER_METRIC) {
          const entry = METRIC_CATALOG.find((c) => c.name === m.MetricName);
          expect(entry).toBeDefined();
          // The monitor's figures also come with `service` alone (the run's worst), the form the alarms read.
          const sets = [DIMENSIONS[entry!.dimensions], ...(entry!.dimensions === 'monitor' ? [DIMENSIONS.service] : [])].map((set) => [...set].sort());
          expect(sets).toContainEqual(Object.keys(dims).sort());
          expect(dims.service).toBe(service.provider.environment.POWERTOOLS_SERVICE_NAME);
        }
      }
    }
    // Errors and throttles are watched on every function.
    expect([...lambdaRefs].sort()).toEqual([...ids].sort());
  });

  it('has an SNS topic, with an email subscription only when alarmEmail is set', () => {
    expect(resourcesOfType(t, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['AlarmTopic']);
    const subscription = t.Resources.AlarmEmailSubscription!;
    expect(subscription.Properties.Protocol).toBe('email');
    expect((subscription as unknown as { Condition: string }).Condition).toBe('HasAlarmEmail');
    const conditions = (t as unknown as { Conditions: Record<string, unknown> }).Conditions;
    // alarmEmail defaults to '': the condition compares '' with '' and is false.
    expect(conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('has a dashboard whose body parses and names only metrics that exist', () => {
    const dashboards = resourcesOfType(t, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const sub = dashboards[0]![1].Properties.DashboardBody['Fn::Sub'] as string;
    // Fn::Sub's ${...}: pseudo parameters and this template's resources only.
    const references = [...sub.matchAll(/\$\{([^}!]+)\}/g)].map((m) => m[1]!);
    for (const ref of references) expect(ref === 'AWS::Region' || ref in t.Resources).toBe(true);
    const body = JSON.parse(sub.replace(/\$\{([^}]+)\}/g, 'x')) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };

    const named: { namespace: string; metric: string }[] = [];
    for (const widget of body.widgets) {
      for (const row of widget.properties.metrics) {
        const first = row[0];
        if (typeof first === 'object' && first !== null && 'expression' in first) {
          const expression = String((first as { expression: string }).expression);
          const ns = /\{"([^"]+)"/.exec(expression)?.[1];
          expect(ns).toBe(namespace);
          const metric = /MetricName="([^"]+)"/.exec(expression)?.[1] ?? (/\} (\w+)'/.exec(expression)?.[1] === 'Predicted' ? 'Predicted.<label>' : undefined);
          expect({ expression, metric }).toEqual({ expression, metric: expect.any(String) });
          named.push({ namespace: ns!, metric: metric! });
        } else {
          named.push({ namespace: String(row[0]), metric: String(row[1]) });
        }
      }
    }
    for (const { namespace: ns, metric } of named) {
      const known = ns === namespace ? [...catalogNames, FILTER_METRIC] : AWS_METRICS[ns] ?? [];
      expect({ ns, metric, known: known.includes(metric) }).toEqual({ ns, metric, known: true });
    }
    // What the dashboard is for: calls and latency per model and version, errors,
    // throttles, cold starts, the prediction distribution, drift and live quality.
    const metrics = new Set(named.map((n) => n.metric));
    for (const m of ['Requests', 'Latency', 'Errors', 'Throttles', 'Throttled', 'ColdStart', 'MeanProbability', 'PositiveRate', 'Predicted.<label>', 'MeanPrediction', 'FeatureDrift', 'PredictionDrift', 'LiveAccuracy', 'LiveAUC', 'FeedbackCount']) {
      expect(metrics).toContain(m);
    }
  });
});

describe('the local stage', () => {
  it('does not trace: serverless-offline has no X-Ray daemon', () => {
    expect(observed('local').provider.tracing).toEqual({ lambda: false, apiGateway: false });
    for (const id of functionIds('local')) {
      expect(template('local').Resources[id]!.Properties.TracingConfig).toBeUndefined();
      expect(template('local').Resources[id]!.Properties.Environment.Variables.XRAY_TRACING).toBe('false');
    }
  });
});
