import { DIMENSIONS, METRIC_CATALOG } from '../lib/observability/metrics';
import { readmeTableRows } from './helpers/readme';


describe("the README's metrics table", () => {
  it('lists every metric of the catalog with its unit, dimensions and meaning, and nothing else', () => {
    const documented = readmeTableRows('metrics-table');
    const expected = METRIC_CATALOG.map((m) => [`\`${m.name}\``, m.unit, DIMENSIONS[m.dimensions].map((d) => `\`${d}\``).join(', '), m.description]);
    expect(documented).toEqual(expected);
  });
});
