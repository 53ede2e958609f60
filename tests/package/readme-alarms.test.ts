import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolvedService, resourcesOfType, template } from './artifacts';

const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

function alarmRows(): string[][] {
  const block = readme.slice(readme.indexOf('<!-- alarms-table'), readme.indexOf('<!-- /alarms-table -->'));
  return block
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .slice(1)
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

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
