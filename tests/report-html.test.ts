import { REPORT_CSP, reportHtml } from '../lib/monitoring/report-html';
import type { Report } from '../lib/monitoring/report';
import { HOSTILE, monitoringReport } from './helpers/monitoring-report';

// The monitoring report's page (lib/monitoring/report-html.ts), read as
// text: one document that loads and runs nothing, every feature in the
// table, a chart for each feature that moved (a text field's for each of
// its parts) and for the predictions, and every string of the report
// escaped. tests/package/report-browser.test.ts opens it in Chromium.

const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const svgs = (html: string) => html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
const titleOf = (svg: string) => /<title id="[^"]+">([^<]*)<\/title>/.exec(svg)?.[1];
const unescaped = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The features table's rows, each as its header cell's text and its data cells' text. */
function featureRows(html: string): { name: string; cells: string[]; className: string }[] {
  const table = /<table class="features">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr class="([^"]*)">([\s\S]*?)<\/tr>/g)].map((m) => ({
    className: m[1]!,
    name: unescaped(/<th scope="row">([\s\S]*?)<\/th>/.exec(m[2]!)?.[1] ?? '').replace(/^↳ /, ''),
    cells: [...m[2]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescaped(c[1]!)),
  }));
}

describe('reportHtml', () => {
  const report = monitoringReport();
  const html = reportHtml(report);

  it('is one document that loads nothing and runs nothing, under a policy that allows inline styles only', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    // No inline event handler, no javascript: link, nothing fetched: no src, no stylesheet, no url() or @import in the style.
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/url\(|@import|<link rel="stylesheet"|<iframe|<object|<embed/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escaped(REPORT_CSP)}">`);
    expect(REPORT_CSP).toMatch(/default-src 'none'/);
    expect(REPORT_CSP).not.toMatch(/script-src/);
    // Links are to the page's own charts only.
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#chart-|^data:,$/);
  });

  it('heads the page with the model, version, window, records, baseline and when it was made', () => {
    const header = /<header>([\s\S]*?)<\/header>/.exec(html)![1]!;
    expect(header).toContain('Monitoring report: churn <span class="version">1.0.0</span>');
    expect(header).toContain('<time datetime="2025-03-11T06:00:00.000Z">2025-03-11 06:00 UTC</time> to <time datetime="2025-03-12T06:00:00.000Z">2025-03-12 06:00 UTC</time> (24 h)');
    expect(header).toContain('<dt>Records</dt><dd>1,184</dd>');
    expect(header).toContain('models/churn/1.0.0/baseline.json · 7,043 records of telco-churn.csv (training split)');
    expect(header).toContain('<dt>Generated</dt><dd><time datetime="2025-03-12T06:15:02.114Z">2025-03-12 06:15 UTC</time></dd>');
    expect(header).toContain(report.source);
  });

  it('lists every feature in the table with its type, PSI to three decimals, status, test, p-value, count and missing; a text field with its parts', () => {
    const rows = featureRows(html);
    expect(rows.map((r) => r.name)).toEqual(['tenure', 'monthlycharges', 'contract', 'last_ticket', 'length', 'vocabulary share']);
    expect(rows.find((r) => r.name === 'tenure')).toEqual({ name: 'tenure', className: 'row-drift', cells: ['numeric', '0.413', 'drift', 'KS 0.221', '< 0.001', '1,184', '0'] });
    expect(rows.find((r) => r.name === 'monthlycharges')).toEqual({ name: 'monthlycharges', className: 'row-moderate', cells: ['numeric', '0.164', 'moderate', 'KS 0.092', '0.011', '1,180', '4'] });
    expect(rows.find((r) => r.name === 'contract')).toEqual({ name: 'contract', className: 'row-stable', cells: ['categorical', '0.021', 'stable', 'χ² 3.402 (3 dof)', '0.334', '1,184', '0'] });
    expect(rows.find((r) => r.name === 'last_ticket')?.cells.slice(0, 3)).toEqual(['text', '0.361', 'drift']);
    expect(rows.find((r) => r.name === 'length')).toMatchObject({ className: 'part row-stable', cells: ['text part', '0.041', 'stable', 'KS 0.038', '0.452', '1,102', '82'] });
    expect(rows.find((r) => r.name === 'vocabulary share')).toMatchObject({ className: 'part row-drift' });
    for (const f of report.features) expect(rows.find((r) => r.name === f.name)?.cells[1]).toBe(f.psi!.toFixed(3));
  });

  it('draws one chart per feature that moved (per part for a text field) and one of the prediction scores; stable features are listed, not charted', () => {
    const charts = svgs(html);
    expect(charts.map(titleOf)).toEqual([
      'tenure: baseline and current distribution (drift, PSI 0.413)',
      'last_ticket · length: baseline and current distribution (stable, PSI 0.041)',
      'last_ticket · vocabulary share: baseline and current distribution (drift, PSI 0.361)',
      'monthlycharges: baseline and current distribution (moderate, PSI 0.164)',
      'Predicted scores: baseline and current distribution (drift, PSI 0.289)',
    ]);
    expect(html).not.toMatch(/<title[^>]*>contract/);
    expect(html).toMatch(/Not charted[^<]*<\/p><ul class="rest"><li>contract <span class="badge stable">stable<\/span> PSI 0.021<\/li><\/ul>/);
    // The table links each charted feature to its chart, and each link lands.
    for (const [, id] of html.matchAll(/href="#([^"]+)"/g)) expect(html).toContain(` id="${id}">`);
    expect([...html.matchAll(/href="#([^"]+)"/g)].map((m) => m[1])).toEqual(['chart-0', 'chart-1', 'chart-3-length', 'chart-3-length', 'chart-3-vocabulary_share']);
  });

  it('gives each chart grouped bars for both sides of every bin, the bin labels, a legend, and a title and description for screen readers', () => {
    const tenure = report.features[0]!;
    const chart = svgs(html)[0]!;
    expect(chart).toMatch(/^<svg class="chart" role="img" aria-labelledby="chart-0-svg-title chart-0-svg-desc" width="\d+(\.\d)?" height="\d+(\.\d)?" viewBox="0 0 /);
    expect(chart).toContain('<title id="chart-0-svg-title">');
    expect(chart).toMatch(/<desc id="chart-0-svg-desc">Grouped bar chart of the share of records in each of 12 bins, baseline beside current\. The largest change is in bin ≤ 2: from 10\.0% of records in the baseline to 24\.0% now\.<\/desc>/);
    expect(chart.match(/class="bar-baseline"/g)).toHaveLength(tenure.histogram.bins.length);
    expect(chart.match(/class="bar-current"/g)).toHaveLength(tenure.histogram.bins.length);
    for (const bin of tenure.histogram.bins) expect(chart).toContain(`>${escaped(bin)}</text>`);
    expect(chart).toContain('<text x="17" y="10">Baseline</text>');
    expect(chart).toContain('>Current window</text>');
    // Bars stand on the axis and none is taller than the plot.
    for (const [, y, h] of chart.matchAll(/<rect class="bar-[a-z]+" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)) {
      expect(Number(y) + Number(h)).toBeCloseTo(240, 0);
      expect(Number(h)).toBeLessThanOrEqual(200);
    }
    // Every chart's numbers are also in a table under it.
    expect(html).toMatch(/<details><summary>The numbers<\/summary><table class="numbers">.*<td>≤ 2<\/td><td class="num">10\.0%<\/td><td class="num">24\.0%<\/td><td class="num">\+14\.0%<\/td>/);
  });

  it('charts a feature exactly when its status is drift or moderate', () => {
    const changed: Report = structuredClone(report);
    changed.features[0]!.status = 'stable';
    changed.features[2]!.status = 'drift';
    changed.features[3]!.status = 'no data';
    const titles = svgs(reportHtml(changed)).map(titleOf);
    expect(titles.map((t) => t!.split(':')[0])).toEqual(['monthlycharges', 'contract', 'Predicted scores']);
  });

  it('fits a categorical feature of many categories: one group of bars per category, labels turned, a width a screen can scroll', () => {
    const wide: Report = structuredClone(report);
    const categories = Array.from({ length: 50 }, (_, i) => `payment method number ${i + 1}`);
    const bins = [...categories, 'other', 'missing'];
    wide.features[2] = { ...wide.features[2]!, status: 'drift', psi: 0.52, histogram: { bins, baseline: bins.map(() => 1 / 52), current: bins.map((_, i) => (i === 0 ? 0.5 : 0.5 / 51)) } };
    const chart = svgs(reportHtml(wide)).find((svg) => titleOf(svg)!.startsWith('contract'))!;
    expect(chart.match(/<g><title>/g)).toHaveLength(52);
    expect(chart.match(/rotate\(-40\)" text-anchor="end">payment method nu…<\/text>/g)).toHaveLength(50);
    expect(Number(/ width="([\d.]+)"/.exec(chart)![1])).toBeLessThanOrEqual(1000);
  });

  it('shows the prediction drift with its label frequencies, and quality: feedback, accuracy, ROC AUC, calibration, notes', () => {
    const predictions = /<h2>Predictions<\/h2>([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect(predictions).toContain('<h3>Predicted labels <span class="badge moderate">moderate</span></h3>');
    expect(predictions).toMatch(/<th scope="row">true<\/th><td class="num">23\.9%<\/td><td class="num">39\.2%<\/td><td class="num">\+15\.3%<\/td>/);
    const quality = /<h2>Quality<\/h2>([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect(quality).toContain('<dt>Feedback read</dt><dd>412</dd>');
    expect(quality).toContain('<dt>Joined to an inference</dt><dd>389</dd>');
    expect(quality).toContain('<dt>Not joined</dt><dd>23</dd>');
    expect(quality).toContain('<dt>Accuracy</dt><dd>77.6%</dd>');
    expect(quality).toContain('<dt>ROC AUC</dt><dd>0.821</dd>');
    expect(quality).toContain('<dt>Expected calibration error</dt><dd>0.061</dd>');
    expect(quality).not.toContain('MAE');
    expect(quality.match(/<tr><th scope="row">0\.\d-/g)).toHaveLength(10);
    expect(quality).toContain('<th scope="row">0.4-0.5</th><td class="num">33</td><td class="num">0.452</td><td class="num">0.545</td><td class="num">0.093</td>');
    const notes = /<h2>Notes<\/h2>([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect(notes.match(/<li>/g)).toHaveLength(report.notes.length);
    expect(notes).toContain('<li>last_ticket: 86 of 1184 records had no text.</li>');
  });

  it('reads well with no baseline: no data everywhere, nothing charted, regression errors where present', () => {
    const bare: Report = {
      ...structuredClone(report),
      baseline: null,
      features: [{ name: 'x', type: 'numeric', psi: null, status: 'no data', test: null, count: 10, missing: 0, histogram: { bins: [], baseline: [], current: [] } }],
      drifting: [],
      max_feature: null,
      prediction: null,
      quality: { feedback: 3, joined: 3, unmatched: 0, mae: 1.25, rmse: 2, accuracy: null },
      notes: [],
    };
    const page = reportHtml(bare);
    expect(svgs(page)).toEqual([]);
    expect(page).toContain('no baseline: nothing to compare the window with');
    expect(featureRows(page)).toEqual([{ name: 'x', className: 'row-nodata', cells: ['numeric', '—', 'no data', '—', '—', '10', '0'] }]);
    expect(page).toContain('No feature moved: nothing to chart.');
    expect(page).toContain('No prediction profile to compare');
    expect(page).toContain('<dt>Accuracy</dt><dd>—</dd>');
    expect(page).toContain('<dt>MAE</dt><dd>1.250</dd><');
    expect(page).toContain('<dt>RMSE</dt><dd>2.000</dd>');
    expect(page).not.toContain('ROC AUC');
    expect(page).toContain('<h2>Notes</h2><p>None.</p>');
  });

  it('escapes every string of the report: a hostile feature name, bin, label, note or source stays text', () => {
    const hostile: Report = structuredClone(report);
    hostile.model = HOSTILE;
    hostile.version = HOSTILE;
    hostile.source = HOSTILE;
    hostile.generated = HOSTILE;
    hostile.window.from = HOSTILE;
    hostile.baseline!.file = HOSTILE;
    hostile.baseline!.source = HOSTILE;
    hostile.features[0]!.name = HOSTILE;
    hostile.features[0]!.histogram.bins[0] = HOSTILE;
    hostile.features[2]!.name = HOSTILE;
    hostile.drifting = [HOSTILE];
    hostile.max_feature = { name: HOSTILE, psi: 0.4127 };
    hostile.prediction!.labels!.histogram.bins[1] = HOSTILE;
    hostile.quality.calibration!.bins[0]!.range = HOSTILE;
    hostile.notes.push(HOSTILE);
    const page = reportHtml(hostile);

    expect(page).not.toContain(HOSTILE);
    expect(page).not.toMatch(/<img|<script|<\/td><script/i);
    expect(page).not.toMatch(/\son[a-z]+\s*=\s*"/i);
    expect(page).not.toContain('"alert(1)"');
    // Each place it went, it is there as text: the <title>, the table, the chart's title, bin label and tooltip, the notes.
    expect(page.split(escaped(HOSTILE)).length - 1).toBeGreaterThanOrEqual(18);
    expect(page).toContain(`<title>Monitoring: ${escaped(HOSTILE)} ${escaped(HOSTILE)}</title>`);
    expect(page).toContain(`<time datetime="${escaped(HOSTILE)}">${escaped(HOSTILE)}</time>`);
    expect(page).toContain(`<li>${escaped(HOSTILE)}</li>`);
    // The table keeps its shape: the names did not close a cell or a row.
    expect(featureRows(page).map((r) => r.cells.length)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(featureRows(page)[0]!.name).toBe(HOSTILE);
    expect(svgs(page)).toHaveLength(5);
    // A long label is shortened on the chart (with the whole of it in the bar's tooltip), and is still escaped.
    expect(svgs(page)[0]).toContain(`>${escaped('<img src=x onerro')}…</text>`);
  });
});
