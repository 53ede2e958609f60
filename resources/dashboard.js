'use strict';
// The CloudWatch dashboard of a stage (README, "Observability"): calls and
// latency per model and version, errors, throttles, cold starts, the
// prediction distribution, and the monitor's drift and live quality. Built
// here rather than written as YAML because its body is one JSON string;
// names of the service's own metrics are those
// of lib/observability/metrics.ts (METRIC_CATALOG), which a test checks.

const { functions: routeFunctions, scheduled, lambdaLogicalId } = require('../lib/http/routes');
const { webAclName, RULE_METRICS } = require('./waf');

const PERIOD = 300;

module.exports = async ({ resolveVariable }) => {
  const namespace = await resolveVariable('self:custom.metricsNamespace');
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const apiName = `${stage}-${service}`;
  // SEARCH over the service's own metrics; a namespace with "/" must be quoted.
  const search = (dimensions, metric, stat) =>
    `SEARCH('{"${namespace}",${dimensions.join(',')}} MetricName="${metric}"', '${stat}', ${PERIOD})`;
  const perModel = ['service', 'route_family', 'model', 'version'];
  // The monitor's metrics: one datapoint per model version per run, hourly.
  const perVersion = ['service', 'model', 'version'];
  const monitorSearch = (metric, stat) => `SEARCH('{"${namespace}",${perVersion.join(',')}} MetricName="${metric}"', '${stat}', 3600)`;
  // Every function of the route table (lib/http/routes.js), the scheduled ones too.
  const functions = [...Object.keys(routeFunctions), ...Object.keys(scheduled)].map(lambdaLogicalId);

  let y = 0;
  const widget = (title, properties, width = 12) => {
    const placed = { type: 'metric', width, height: 6, x: 0, y, properties: { title, region: '${AWS::Region}', view: 'timeSeries', period: PERIOD, ...properties } };
    y += 6;
    return placed;
  };
  const expressions = (list) => list.map(([expression, label], i) => [{ expression, label, id: `e${i}` }]);
  const lambdaMetric = (metric, stat) => functions.map((fn) => ['AWS/Lambda', metric, 'FunctionName', `\${${fn}}`, { stat }]);

  const widgets = [
    widget('Requests per model and version', { stat: 'Sum', metrics: expressions([[search(perModel, 'Requests', 'Sum'), '']]) }, 24),
    widget('Latency p99 per model and version (ms)', { metrics: expressions([[search(perModel, 'Latency', 'p99'), ''], [search(perModel, 'InferenceLatency', 'p99'), 'onnxruntime']]) }, 24),
    widget('Errors by code', { metrics: expressions([[search(['service', 'route_family', 'code'], 'Errors', 'Sum'), '']]) }),
    widget('API Gateway answers', {
      stat: 'Sum',
      metrics: [
        ['AWS/ApiGateway', 'Count', 'ApiName', apiName, 'Stage', stage],
        ['AWS/ApiGateway', '4XXError', 'ApiName', apiName, 'Stage', stage],
        ['AWS/ApiGateway', '5XXError', 'ApiName', apiName, 'Stage', stage],
        [namespace, 'Throttled', { label: '429 (usage plans)' }],
      ],
    }),
    widget('Lambda throttles and errors', { stat: 'Sum', metrics: [...lambdaMetric('Throttles', 'Sum'), ...lambdaMetric('Errors', 'Sum')] }),
    widget('Cold starts and models not ready', {
      metrics: [...expressions([[search(['service', 'function_name'], 'ColdStart', 'Sum'), '']]), [namespace, 'ModelNotReady', 'service', service, { stat: 'Sum' }]],
    }),
    widget('Prediction distribution: binary classifiers', {
      metrics: expressions([[search(perModel, 'MeanProbability', 'Average'), 'mean probability'], [search(perModel, 'PositiveRate', 'Average'), 'positive %']]),
    }),
    widget('Prediction distribution: labels and regressors', {
      // Predicted.<label> is one metric per label: match on the name's first token.
      metrics: expressions([
        [`SEARCH('{"${namespace}",${perModel.join(',')}} Predicted', 'Sum', ${PERIOD})`, ''],
        [search(perModel, 'MeanPrediction', 'Average'), 'mean value'],
      ]),
    }),
    // The monitor (README, "Monitoring"), per model and version; the alarms'
    // thresholds are drawn as lines.
    widget('Feature drift per model and version (largest PSI)', {
      period: 3600,
      metrics: expressions([[monitorSearch('FeatureDrift', 'Maximum'), '']]),
      annotations: { horizontal: [{ label: 'alarm', value: await resolveVariable('param:driftAlarmThreshold') }] },
    }),
    widget('Prediction drift per model and version (PSI)', { period: 3600, metrics: expressions([[monitorSearch('PredictionDrift', 'Maximum'), '']]) }),
    widget('Live accuracy and AUC per model and version', {
      period: 3600,
      metrics: expressions([[monitorSearch('LiveAccuracy', 'Minimum'), 'accuracy'], [monitorSearch('LiveAUC', 'Minimum'), 'AUC']]),
      yAxis: { left: { min: 0, max: 1 } },
      annotations: { horizontal: [{ label: 'accuracy alarm', value: await resolveVariable('param:liveAccuracyThreshold') }] },
    }),
    widget("Feedback in the monitor's window per model and version", { period: 3600, metrics: expressions([[monitorSearch('FeedbackCount', 'Maximum'), '']]) }),
  ];
  // AWS WAF (param waf, resources/waf.js): what it let through, blocked and
  // counted (the bodies over 8 KB SizeRestrictions_BODY only counts), and the
  // blocks of each rule; the alarm's threshold as a line.
  if (String(await resolveVariable('param:waf')) === 'true') {
    const acl = ['WebACL', webAclName(service, stage), 'Region', '${AWS::Region}'];
    const rule = (metric, name, label) => ['AWS/WAFV2', metric, ...acl, 'Rule', name, { label }];
    widgets.push(
      widget('AWS WAF: requests allowed, blocked and counted', {
        stat: 'Sum',
        metrics: [rule('AllowedRequests', 'ALL', 'allowed'), rule('BlockedRequests', 'ALL', 'blocked'), rule('CountedRequests', 'ALL', 'counted (bodies over 8 KB)')],
        annotations: { horizontal: [{ label: 'blocked alarm', value: Number(await resolveVariable('param:wafBlockedThreshold')) }] },
      }),
      widget('AWS WAF: blocked per rule', {
        stat: 'Sum',
        metrics: [
          rule('BlockedRequests', RULE_METRICS.rate, 'rate per client address (429)'),
          rule('BlockedRequests', RULE_METRICS.badInputs, 'known bad inputs'),
          rule('BlockedRequests', RULE_METRICS.common, 'common rule set'),
        ],
      }),
    );
  }

  return {
    Resources: {
      Dashboard: {
        Type: 'AWS::CloudWatch::Dashboard',
        Properties: {
          DashboardName: `${service}-${stage}`,
          DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
        },
      },
    },
  };
};
