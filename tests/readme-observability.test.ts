import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIMENSIONS, METRIC_CATALOG } from '../lib/observability/metrics';

const readme = readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8');

/** The rows of the README table between `<!-- name ... -->` and `<!-- /name -->`, cells trimmed. */
function readmeTable(name: string): string[][] {
  const start = readme.indexOf(`<!-- ${name}`);
  const end = readme.indexOf(`<!-- /${name} -->`);
  expect(start).toBeGreaterThan(-1);
  expect(end).toBeGreaterThan(start);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
    .slice(1)
    .map((line) => line.slice(2, -2).split(' | ').map((cell) => cell.trim()));
}

describe("the README's metrics table", () => {
  it('lists every metric of the catalog with its unit, dimensions and meaning, and nothing else', () => {
    const documented = readmeTable('metrics-table');
    const expected = METRIC_CATALOG.map((m) => [`\`${m.name}\``, m.unit, DIMENSIONS[m.dimensions].map((d) => `\`${d}\``).join(', '), m.description]);
    expect(documented).toEqual(expected);
  });
});
