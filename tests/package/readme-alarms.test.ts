import { resolvedService, resourcesOfType, template } from './artifacts';
import { readmeTableRows } from '../helpers/readme';

const alarmRows = () => readmeTableRows('alarms-table');

describe("the README's alarms table", () => {
  const t = template('prod');
  const alarms = Object.fromEntries(resourcesOfType(t, 'AWS::CloudWatch::Alarm'));
  const params = (resolvedService('prod') as unknown as { initialServerlessConfig: { params: { default: Record<string, unknown> } } }).initialServerlessConfig.params.default;
  const rows = alarmRows();

  it('names every alarm of the prod template once', () => {
    const named = rows.flatMap((r) => [...r[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
    expect(named.sort()).toEqual(Object.keys(alarms).sort());
  });

  it.each(alarmRows().map((r) => [r[0]!, r[2]!]))('%s: the documented param and default are the template threshold', (names, param) => {
    const match = /^`(\w+)` \(([\d.]+)\)$/.exec(param) ?? /^— \(([\d.]+)\)$/.exec(param);
    expect(match).not.toBeNull();
    const [paramName, value] = match!.length === 3 ? [match![1], Number(match![2])] : [undefined, Number(match![1])];
    if (paramName) expect(params[paramName]).toBe(value);
    for (const [, alarm] of [...names.matchAll(/`(\w+)`/g)]) expect(alarms[alarm!]!.Properties.Threshold).toBe(value);
  });
});
