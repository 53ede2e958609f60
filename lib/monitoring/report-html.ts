import { PSI_DRIFT, PSI_MODERATE, type DriftStatus } from './drift';
import type { DistributionDrift, Histogram, QualityReport, Report } from './report';

/**
 * A monitoring report as a page (README, "Monitoring"), written beside its
 * JSON: what moved, drawn so that it can be seen at a glance. One
 * self-contained document: it is opened from S3 or from a local folder
 * (file://), so it loads nothing — no script, font, stylesheet or picture
 * from anywhere. The charts are inline SVG drawn here by hand rather than
 * by a chart library, because a library would be a script, and the page
 * must work offline and under its own policy (REPORT_CSP), which allows
 * inline styles and nothing else.
 *
 * Every string of the report is escaped: feature names, bin labels and
 * prediction labels come from model manifests and captured data, and may
 * hold <, & or quotes.
 */

/** The page's Content-Security-Policy, in its <meta>: no script at all, inline styles only. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** Text for HTML content and for quoted attribute values alike. */
const esc = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));

const DASH = '—';
const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const fixed = (x: number | null | undefined, digits = 3): string => (finite(x) ? x.toFixed(digits) : DASH);
const percent = (share: number | null | undefined, digits = 1): string => (finite(share) ? `${(share * 100).toFixed(digits)}%` : DASH);
const integer = (n: number | null | undefined): string => (finite(n) ? Math.round(n).toLocaleString('en-US') : DASH);
/** p-values as they are usually reported: three decimals, or "< 0.001". */
const pValue = (p: number | null | undefined): string => (!finite(p) ? DASH : p < 0.001 ? '&lt; 0.001' : p.toFixed(3));

/** A timestamp as people read it, the original kept in the <time> element. */
function time(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z$/.exec(iso);
  return `<time datetime="${esc(iso)}">${m ? `${m[1]} ${m[2]} UTC` : esc(iso)}</time>`;
}

const STATUS_CLASS: Record<DriftStatus, string> = { stable: 'stable', moderate: 'moderate', drift: 'drift', 'no data': 'nodata' };
const statusClass = (status: DriftStatus): string => STATUS_CLASS[status] ?? 'nodata';
const badge = (status: DriftStatus): string => `<span class="badge ${statusClass(status)}">${esc(status)}</span>`;
const charted = (status: DriftStatus): boolean => status === 'drift' || status === 'moderate';

function testCell(test: DistributionDrift['test']): string {
  if (!test) return DASH;
  const name = test.name === 'ks' ? 'KS' : 'χ²';
  const dof = test.dof !== undefined ? ` (${integer(test.dof)} dof)` : '';
  return `${name} ${fixed(test.statistic)}${dof}`;
}

const testLine = (d: DistributionDrift): string =>
  `PSI <strong>${fixed(d.psi)}</strong> · ${d.test ? `${testCell(d.test)}, p ${pValue(d.test.p_value)}` : 'no test'} · ${integer(d.count)} records, ${integer(d.missing)} missing`;

// --- Charts -----------------------------------------------------------------

const COLOUR = { baseline: '#4477aa', current: '#ee7733', axis: '#555', grid: '#e3e3e3' };
const PLOT_HEIGHT = 200;
const MARGIN = { top: 40, right: 16, left: 52 };
/** Roughly one character of the 11 px labels, for the layout of bin labels (no script measures them). */
const CHAR_WIDTH = 6.2;
const MAX_LABEL_CHARS = 18;
const LABEL_ANGLE = 40;

const round = (x: number): string => (Math.round(x * 10) / 10).toString();
const shorten = (label: string): string => ([...label].length > MAX_LABEL_CHARS ? `${[...label].slice(0, MAX_LABEL_CHARS - 1).join('')}…` : label);
/** A change of share, signed: "+14.0%", "−3.2%", "0.0%". */
const change = (from: number, to: number): string => {
  const shown = percent(Math.abs(to - from));
  return shown === '0.0%' ? shown : `${to > from ? '+' : '−'}${shown}`;
};
const share = (values: readonly number[], i: number): number => (finite(values[i]) ? Math.max(0, values[i]!) : 0);

/** A top for the share axis and its step: a round number of percent, four or five grid lines. */
function axisOf(max: number): { top: number; step: number } {
  for (const step of [0.01, 0.02, 0.05, 0.1, 0.2, 0.25]) if (max <= step * 5) return { top: Math.max(step, Math.ceil(max / step - 1e-9) * step), step };
  return { top: Math.ceil(max * 2) / 2, step: 0.25 };
}

/**
 * Baseline against current as grouped bars over the histogram's bins, with
 * a legend, the bins' labels (turned when they would not fit), a share axis,
 * a tooltip (<title>) per bin, and a title and description for screen
 * readers (role="img", aria-labelledby). `id` is the page's, not the
 * report's: names never reach an id or a class.
 */
function histogramSvg(h: Histogram, id: string, title: string): string {
  const n = h.bins.length;
  const group = Math.max(16, Math.min(56, 640 / Math.max(1, n)));
  const bar = Math.max(5, (group - 6) / 2);
  const plotWidth = group * Math.max(1, n);
  const labels = h.bins.map(shorten);
  const longest = Math.max(1, ...labels.map((l) => [...l].length));
  const turned = longest * CHAR_WIDTH > group - 4;
  const labelDepth = turned ? longest * CHAR_WIDTH * Math.sin((LABEL_ANGLE * Math.PI) / 180) + 16 : 18;
  const bottom = labelDepth + 22;
  const width = MARGIN.left + plotWidth + MARGIN.right;
  const height = MARGIN.top + PLOT_HEIGHT + bottom;
  const max = Math.max(0, ...h.bins.map((_, i) => Math.max(share(h.baseline, i), share(h.current, i))));
  const { top, step } = axisOf(max);
  const y = (s: number) => MARGIN.top + PLOT_HEIGHT - (Math.min(s, top) / top) * PLOT_HEIGHT;
  const floor = MARGIN.top + PLOT_HEIGHT;

  const grid: string[] = [];
  for (let k = 0; k * step <= top + 1e-9; k++) {
    const at = round(y(k * step));
    grid.push(`<line x1="${MARGIN.left}" x2="${round(MARGIN.left + plotWidth)}" y1="${at}" y2="${at}" stroke="${COLOUR.grid}"/>`);
    grid.push(`<text x="${MARGIN.left - 6}" y="${at}" dy="0.32em" text-anchor="end" class="tick">${percent(k * step, 0)}</text>`);
  }

  let largest = { i: -1, gap: -1 };
  const bars = h.bins.map((bin, i) => {
    const b = share(h.baseline, i);
    const c = share(h.current, i);
    if (Math.abs(c - b) > largest.gap) largest = { i, gap: Math.abs(c - b) };
    const x = MARGIN.left + i * group + (group - 2 * bar - 2) / 2;
    const cx = MARGIN.left + (i + 0.5) * group;
    const label = turned
      ? `<text class="bin" transform="translate(${round(cx)} ${round(floor + 12)}) rotate(-${LABEL_ANGLE})" text-anchor="end">${esc(labels[i]!)}</text>`
      : `<text class="bin" x="${round(cx)}" y="${round(floor + 14)}" text-anchor="middle">${esc(labels[i]!)}</text>`;
    return `<g><title>${esc(bin)}: baseline ${percent(b)}, current ${percent(c)}</title>`
      + `<rect class="bar-baseline" x="${round(x)}" y="${round(y(b))}" width="${round(bar)}" height="${round(floor - y(b))}" fill="${COLOUR.baseline}"/>`
      + `<rect class="bar-current" x="${round(x + bar + 2)}" y="${round(y(c))}" width="${round(bar)}" height="${round(floor - y(c))}" fill="${COLOUR.current}"/>`
      + `${label}</g>`;
  });

  const moved = largest.i >= 0
    ? ` The largest change is in bin ${h.bins[largest.i]!}: from ${percent(share(h.baseline, largest.i))} of records in the baseline to ${percent(share(h.current, largest.i))} now.`
    : '';
  const desc = `Grouped bar chart of the share of records in each of ${n} bins, baseline beside current.${moved}`;
  const legend = `<g class="legend" transform="translate(${MARGIN.left} 14)">`
    + `<rect width="12" height="12" fill="${COLOUR.baseline}"/><text x="17" y="10">Baseline</text>`
    + `<rect x="92" width="12" height="12" fill="${COLOUR.current}"/><text x="109" y="10">Current window</text></g>`;
  return `<svg class="chart" role="img" aria-labelledby="${id}-title ${id}-desc" width="${round(width)}" height="${round(height)}" viewBox="0 0 ${round(width)} ${round(height)}">`
    + `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(desc)}</desc>`
    + legend
    + grid.join('')
    + bars.join('')
    + `<line x1="${MARGIN.left}" x2="${round(MARGIN.left + plotWidth)}" y1="${floor}" y2="${floor}" stroke="${COLOUR.axis}"/>`
    + `<text class="axis" transform="translate(14 ${round(MARGIN.top + PLOT_HEIGHT / 2)}) rotate(-90)" text-anchor="middle">share of records</text>`
    + '</svg>';
}

/** The chart's numbers as a table, folded under it: for reading them exactly, and for anyone who cannot see the chart. */
function histogramTable(h: Histogram): string {
  const rows = h.bins.map((bin, i) => {
    const b = share(h.baseline, i);
    const c = share(h.current, i);
    return `<tr><td>${esc(bin)}</td><td class="num">${percent(b)}</td><td class="num">${percent(c)}</td><td class="num">${change(b, c)}</td></tr>`;
  });
  return `<details><summary>The numbers</summary><table class="numbers"><thead><tr><th scope="col">Bin</th><th scope="col" class="num">Baseline</th><th scope="col" class="num">Current</th><th scope="col" class="num">Change</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function chartFigure(d: DistributionDrift, id: string, heading: string, extra = ''): string {
  return `<figure class="chart-box ${statusClass(d.status)}" id="${id}">`
    + `<figcaption><h3>${esc(heading)} ${badge(d.status)}</h3><p>${testLine(d)}${extra}</p></figcaption>`
    + `<div class="scroll">${histogramSvg(d.histogram, `${id}-svg`, `${heading}: baseline and current distribution (${d.status}, PSI ${fixed(d.psi)})`)}</div>`
    + histogramTable(d.histogram)
    + '</figure>';
}

// --- Sections ----------------------------------------------------------------

const PART_NAMES = { length: 'length', vocabulary_share: 'vocabulary share' } as const;
const PARTS = ['length', 'vocabulary_share'] as const;

function header(r: Report): string {
  const baseline = r.baseline
    ? `${esc(r.baseline.file)} · ${integer(r.baseline.records)} records of ${esc(r.baseline.source)} · made ${time(r.baseline.created)}`
    : '<span class="badge nodata">none</span> no baseline: nothing to compare the window with';
  const items: [string, string][] = [
    ['Model', esc(r.model)],
    ['Version', esc(r.version)],
    ['Window', `${time(r.window.from)} to ${time(r.window.to)} (${fixed(r.window.hours, 0)} h)`],
    ['Records', integer(r.records)],
    ['Baseline', baseline],
    ['Captures', esc(r.source)],
    ['Generated', time(r.generated)],
  ];
  return `<header><h1>Monitoring report: ${esc(r.model)} <span class="version">${esc(r.version)}</span></h1>`
    + `<dl class="meta">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl></header>`;
}

function overview(r: Report): string {
  const counts = new Map<DriftStatus, number>();
  for (const f of r.features) counts.set(f.status, (counts.get(f.status) ?? 0) + 1);
  const tiles = (['drift', 'moderate', 'stable', 'no data'] as const)
    .map((s) => `<div class="tile ${statusClass(s)}"><span class="big">${counts.get(s) ?? 0}</span> ${esc(s)}</div>`);
  const largest = r.max_feature ? `Largest shift: <strong>${esc(r.max_feature.name)}</strong>, PSI ${fixed(r.max_feature.psi)}.` : 'No feature could be compared.';
  const drifting = r.drifting.length > 0 ? ` Over the drift band (PSI &gt; ${PSI_DRIFT}): ${r.drifting.map((n) => `<strong>${esc(n)}</strong>`).join(', ')}.` : ` No feature is over the drift band (PSI &gt; ${PSI_DRIFT}).`;
  const prediction = r.prediction ? ` Predictions: PSI ${fixed(r.prediction.psi)} ${badge(r.prediction.status)}.` : '';
  return `<section class="overview" aria-label="Overview"><div class="tiles">${tiles.join('')}</div><p>${largest}${drifting}${prediction}</p></section>`;
}

/** A row of the features table; `target` the id of its chart, when it has one. */
function featureRow(f: DistributionDrift, name: string, type: string, target: string | undefined, part = false): string {
  const label = target ? `<a href="#${target}">${esc(name)}</a>` : esc(name);
  return `<tr class="${part ? 'part ' : ''}row-${statusClass(f.status)}">`
    + `<th scope="row">${part ? '<span aria-hidden="true">↳ </span>' : ''}${label}</th><td>${esc(type)}</td>`
    + `<td class="num">${fixed(f.psi)}</td><td>${badge(f.status)}</td>`
    + `<td>${testCell(f.test)}</td><td class="num">${f.test ? pValue(f.test.p_value) : DASH}</td>`
    + `<td class="num">${integer(f.count)}</td><td class="num">${integer(f.missing)}</td></tr>`;
}

function featureTable(r: Report): string {
  if (r.features.length === 0) return '<section><h2>Features</h2><p>No monitored input field.</p></section>';
  const rows = r.features.flatMap((f, i) => {
    // A text field that moved is charted part by part: both parts, so that the chart shows which one moved.
    const chart = charted(f.status) ? (f.parts ? (p: string) => `chart-${i}-${p}` : () => `chart-${i}`) : undefined;
    return [
      featureRow(f, f.name, f.type, chart?.(PARTS[0])),
      ...(f.parts ? PARTS.map((p) => featureRow(f.parts![p], PART_NAMES[p], 'text part', chart?.(p), true)) : []),
    ];
  });
  return '<section><h2>Features</h2>'
    + `<p class="legend-text">PSI bands: under ${PSI_MODERATE} ${badge('stable')}, ${PSI_MODERATE} to ${PSI_DRIFT} ${badge('moderate')}, over ${PSI_DRIFT} ${badge('drift')}. `
    + 'KS: Kolmogorov–Smirnov on the binned values; χ²: chi-square on the categories\' counts.</p>'
    + '<div class="scroll"><table class="features"><thead><tr><th scope="col">Feature</th><th scope="col">Type</th><th scope="col" class="num">PSI</th><th scope="col">Status</th>'
    + '<th scope="col">Test</th><th scope="col" class="num">p-value</th><th scope="col" class="num">Count</th><th scope="col" class="num">Missing</th></tr></thead>'
    + `<tbody>${rows.join('')}</tbody></table></div></section>`;
}

/** Charts of the features that moved (a text field: one per part), most moved first; the others listed. */
function featureCharts(r: Report): string {
  const moved = r.features.map((f, i) => ({ f, i })).filter(({ f }) => charted(f.status));
  moved.sort((a, b) => (b.f.psi ?? -1) - (a.f.psi ?? -1));
  const figures = moved.flatMap(({ f, i }) => {
    if (f.parts) {
      const { length, vocabulary_share: vocabulary } = f.parts;
      const mean = ` · mean share ${fixed(vocabulary.mean.baseline)} in the baseline, ${fixed(vocabulary.mean.current)} now`;
      return [chartFigure(length, `chart-${i}-length`, `${f.name} · ${PART_NAMES.length}`), chartFigure(vocabulary, `chart-${i}-vocabulary_share`, `${f.name} · ${PART_NAMES.vocabulary_share}`, mean)];
    }
    return [chartFigure(f, `chart-${i}`, f.name)];
  });
  const rest = r.features.filter((f) => !charted(f.status));
  const listed = rest.length > 0
    ? `<p>Not charted (no shift to show):</p><ul class="rest">${rest.map((f) => `<li>${esc(f.name)} ${badge(f.status)} PSI ${fixed(f.psi)}</li>`).join('')}</ul>`
    : '';
  const body = figures.length > 0 ? figures.join('') : '<p>No feature moved: nothing to chart.</p>';
  return `<section><h2>What moved</h2>${body}${listed}</section>`;
}

function labelTable(labels: DistributionDrift): string {
  const h = labels.histogram;
  const rows = h.bins.map((bin, i) => {
    const b = share(h.baseline, i);
    const c = share(h.current, i);
    return `<tr><th scope="row">${esc(bin)}</th><td class="num">${percent(b)}</td><td class="num">${percent(c)}</td><td class="num">${change(b, c)}</td></tr>`;
  });
  return `<h3>Predicted labels ${badge(labels.status)}</h3><p>${testLine(labels)}</p>`
    + `<table class="numbers"><thead><tr><th scope="col">Label</th><th scope="col" class="num">Baseline</th><th scope="col" class="num">Current</th><th scope="col" class="num">Change</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function predictionSection(r: Report): string {
  const p = r.prediction;
  if (!p) return '<section><h2>Predictions</h2><p>No prediction profile to compare (no baseline, or the model\'s kind has no outcome).</p></section>';
  // With labels, the prediction's PSI and status are the larger of the scores' and the labels' (./window.ts); its test and histogram are the scores'.
  const both = p.labels ? ' · PSI and status: the larger of the scores\' and the labels\'' : '';
  return `<section><h2>Predictions</h2>${chartFigure(p, 'chart-prediction', p.labels ? 'Predicted scores' : 'Predicted values', both)}${p.labels ? labelTable(p.labels) : ''}</section>`;
}

function qualitySection(q: QualityReport): string {
  const counts = `<dl class="meta"><div><dt>Feedback read</dt><dd>${integer(q.feedback)}</dd></div><div><dt>Joined to an inference</dt><dd>${integer(q.joined)}</dd></div><div><dt>Not joined</dt><dd>${integer(q.unmatched)}</dd></div></dl>`;
  const metrics: [string, string][] = [];
  if (q.accuracy !== undefined) metrics.push(['Accuracy', percent(q.accuracy)]);
  if (q.roc_auc !== undefined) metrics.push(['ROC AUC', fixed(q.roc_auc)]);
  if (q.calibration !== undefined) metrics.push(['Expected calibration error', fixed(q.calibration?.ece)]);
  if (q.mae !== undefined) metrics.push(['MAE', fixed(q.mae)]);
  if (q.rmse !== undefined) metrics.push(['RMSE', fixed(q.rmse)]);
  const metricList = metrics.length > 0
    ? `<dl class="metrics">${metrics.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`
    : `<p>${q.joined > 0 ? 'No quality measure for this kind of model.' : 'No feedback joined in the window: no quality measure.'}</p>`;
  const bins = q.calibration?.bins ?? [];
  const calibration = bins.length > 0
    ? '<h3>Calibration</h3><table class="numbers"><thead><tr><th scope="col">Score</th><th scope="col" class="num">Count</th><th scope="col" class="num">Mean score</th><th scope="col" class="num">Observed rate</th><th scope="col" class="num">Gap</th></tr></thead><tbody>'
      + bins.map((b) => `<tr><th scope="row">${esc(b.range)}</th><td class="num">${integer(b.count)}</td><td class="num">${fixed(b.mean_score)}</td><td class="num">${fixed(b.observed)}</td><td class="num">${fixed(finite(b.observed) && finite(b.mean_score) ? Math.abs(b.observed - b.mean_score) : null)}</td></tr>`).join('')
      + '</tbody></table>'
    : '';
  return `<section><h2>Quality</h2>${counts}${metricList}${calibration}</section>`;
}

const notesSection = (notes: readonly string[]): string =>
  `<section><h2>Notes</h2>${notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p>None.</p>'}</section>`;

const STYLE = `
:root{color-scheme:light;--drift:#b42318;--moderate:#b54708;--stable:#067647;--nodata:#555}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fff;margin:0 auto;max-width:1100px;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 12px}h1 .version{font-weight:400;color:#555}
h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:0 0 4px}
dl.meta,dl.metrics{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0}
dl.meta div,dl.metrics div{min-width:120px}dt{color:#666;font-size:12px}dd{margin:0}
dl.metrics{margin:14px 0 4px}dl.metrics dd{font-size:20px;font-variant-numeric:tabular-nums}
section > h3{margin-top:18px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0 8px}
.tile{border:1px solid #ddd;border-left:6px solid var(--nodata);border-radius:4px;padding:6px 14px;min-width:90px}
.tile .big{font-size:22px;font-weight:600;margin-right:4px}
.tile.drift{border-left-color:var(--drift)}.tile.moderate{border-left-color:var(--moderate)}.tile.stable{border-left-color:var(--stable)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;line-height:18px;vertical-align:middle;white-space:nowrap}
.badge.drift{background:#fde2e0;color:var(--drift)}.badge.moderate{background:#fdedd3;color:var(--moderate)}
.badge.stable{background:#dcf5e7;color:var(--stable)}.badge.nodata{background:#ececec;color:var(--nodata)}
table{border-collapse:collapse;margin:6px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}
thead th{font-size:12px;color:#555;border-bottom:2px solid #ccc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.features tbody th{font-weight:600;word-break:break-word;max-width:320px}
tr.row-drift{background:#fff5f4}tr.row-moderate{background:#fffaf2}
tr.row-drift th{box-shadow:inset 4px 0 var(--drift)}tr.row-moderate th{box-shadow:inset 4px 0 var(--moderate)}
tr.part th{font-weight:400;padding-left:26px}
.scroll{overflow-x:auto}
figure.chart-box{margin:14px 0;padding:12px 14px;border:1px solid #ddd;border-left:6px solid var(--nodata);border-radius:4px}
figure.chart-box.drift{border-left-color:var(--drift)}figure.chart-box.moderate{border-left-color:var(--moderate)}figure.chart-box.stable{border-left-color:var(--stable)}
figcaption p{margin:0 0 6px;color:#444}
svg.chart{display:block;font-size:11px}
svg.chart text{fill:#333}svg.chart .tick{fill:#666}svg.chart .axis{fill:#666}svg.chart .legend text{font-size:12px}
details summary{cursor:pointer;color:#444;font-size:13px}
ul.rest{columns:3 220px;padding-left:18px}
a{color:#1f5fa8}
footer{margin-top:32px;color:#777;font-size:12px}
@media print{.scroll{overflow:visible}details{display:none}}
`;

/** The report as one HTML document: header, overview, features, charts, predictions, quality, notes. */
export function reportHtml(report: Report): string {
  const title = `Monitoring: ${report.model} ${report.version}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${header(report)}
<main>
${overview(report)}
${featureTable(report)}
${featureCharts(report)}
${predictionSection(report)}
${qualitySection(report.quality)}
${notesSection(report.notes)}
</main>
<footer>Generated by the model monitor (README, "Monitoring"); the same report is in the JSON file beside this page. The page loads nothing and runs no script.</footer>
</body>
</html>
`;
}
