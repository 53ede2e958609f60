'use strict';
// The alarms on the functions themselves (README, "Observability"), one
// entry per function of the route table (lib/http/routes.js), so a new
// function is alarmed on without editing this file. serverless.yml reads it
// with ${file()}; resources/alarms.yml has the others and the thresholds'
// reasons.
const { functions, scheduled, steps, lambdaLogicalId } = require('../lib/http/routes');

const names = Object.keys(functions);
/**
 * With the scheduled functions (the monitor) and the batch state machine's
 * steps, which only the errors alarm watches: no client waits on them. A
 * batch job a caller's input fails (its record limit, its header) ends in the
 * state machine's Refused state, not as a Lambda error (resources/batch.js).
 */
const everyFunction = [...names, ...Object.keys(scheduled), ...Object.keys(steps)];
/** A metric query's id: a CloudWatch id starts with a lower-case letter and has no dashes. */
const idOf = (name) => name.replace(/[^a-z0-9]/gi, '');
/** "v2-infer" → "V2Infer", for an alarm's logical id. */
const pascal = (name) => name.split('-').map((part) => part[0].toUpperCase() + part.slice(1)).join('');

const notify = { AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] };

/** One alarm on the sum of an AWS/Lambda metric over `included` functions. */
function summed(metric, description, label, threshold, included) {
  const queries = included.map((name) => ({
    Id: idOf(name),
    ReturnData: false,
    MetricStat: { Stat: 'Sum', Period: 300, Metric: { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: { Ref: lambdaLogicalId(name) } }] } },
  }));
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      Metrics: [...queries, { Id: 'total', Expression: `SUM([${included.map(idOf).join(', ')}])`, Label: label, ReturnData: true }],
      EvaluationPeriods: 1,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      ...notify,
    },
  };
}

module.exports = async ({ resolveVariable }) => {
  const resources = {
    // Any: the handlers answer every error themselves, so a Lambda error is a
    // crash, a timeout or memory running out.
    LambdaErrorsAlarm: summed('Errors', 'A function failed outright (crash, timeout, out of memory)', 'Lambda errors', await resolveVariable('param:lambdaErrorsThreshold'), everyFunction),
    // Any: a throttled invocation reached reservedConcurrency, and API Gateway
    // answered that client with an error. Not the functions whose table entry
    // says so (docs: public routes a crawler can throttle without any client
    // of the API failing; the dashboard shows its throttles).
    LambdaThrottlesAlarm: summed(
      'Throttles',
      "Invocations refused at the functions' reserved concurrency",
      'Lambda throttles',
      await resolveVariable('param:lambdaThrottlesThreshold'),
      names.filter((name) => functions[name].throttleAlarm),
    ),
  };
  // 1 s at p99 for 15 minutes, on the functions that score: a warm call takes
  // milliseconds and a cold start a few hundred; a batch of MAX_BATCH records
  // stays well under a second (BENCHMARKS.md). Above that, clients wait on
  // something else.
  const threshold = await resolveVariable('param:p99LatencyMs');
  for (const name of names.filter((n) => functions[n].latencyAlarm)) {
    resources[`${pascal(name)}P99LatencyAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `p99 duration of the ${name} function`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: lambdaLogicalId(name) } }],
        ExtendedStatistic: 'p99',
        Period: 300,
        EvaluationPeriods: 3,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...notify,
      },
    };
  }
  return { Resources: resources };
};
