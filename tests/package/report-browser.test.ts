import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { reportHtml } from '../../lib/monitoring/report-html';
import type { Report } from '../../lib/monitoring/report';
import { repoRoot } from '../helpers/models';
import { HOSTILE, monitoringReport } from '../helpers/monitoring-report';

/** Debian's chromium (.ci/run installs it); playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** Where CI keeps the page as the test saw it (.artifacts/ is git-ignored). */
const SCREENSHOTS = path.join(repoRoot, '.artifacts', 'screenshots');

/**
 * The monitoring report's page (lib/monitoring/report-html.ts) as someone
 * opens it from a folder: a file:// address in headless Chromium, nothing
 * served. The charts are drawn (a rendered size, bars of some height), the
 * drifting features' rows are there to see, the page asks for nothing
 * beyond itself and breaks no rule of its own policy, and a hostile name
 * is shown as text, not parsed.
 */
describe('the monitoring report page in headless Chromium, from a file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'report-page-'));
  let browser: Browser | undefined;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  /** Writes a report's page to the folder and opens it. */
  async function open(report: Report, name: string): Promise<string> {
    const file = path.join(dir, name);
    writeFileSync(file, reportHtml(report));
    const url = pathToFileURL(file).href;
    await page.goto(url);
    return url;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: ['--headless=new', '--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('request', (request) => requested.push(request.url()));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    // Chromium reports a Content-Security-Policy violation, a script error or a failed load as an error message.
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    requested.length = 0;
    problems.length = 0;
  });

  it('draws a chart for each feature that moved and for the predictions, shows the drifting rows, and loads nothing else', async () => {
    const report = monitoringReport();
    const url = await open(report, 'report.html');

    expect(requested).toEqual([url]);
    expect(problems).toEqual([]);
    expect(await page.title()).toBe('Monitoring: churn 1.0.0');

    // Every chart drawn, at a size, each with a title for screen readers and bars that stand up.
    const charts = page.locator('svg.chart');
    expect(await charts.count()).toBe(5);
    for (const chart of await charts.all()) {
      const box = await chart.boundingBox();
      expect(box).toEqual(expect.objectContaining({ width: expect.any(Number), height: expect.any(Number) }));
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(200);
      expect(await chart.getAttribute('role')).toBe('img');
      const [titleId, descId] = (await chart.getAttribute('aria-labelledby'))!.split(' ');
      expect(await chart.locator(`[id="${titleId}"]`).textContent()).toMatch(/: baseline and current distribution \((drift|moderate|stable), PSI \d\.\d{3}\)$/);
      expect(await chart.locator(`[id="${descId}"]`).textContent()).toMatch(/^Grouped bar chart of the share of records/);
      const heights = await chart.locator('rect.bar-baseline, rect.bar-current').evaluateAll((bars) => bars.map((bar) => bar.getBoundingClientRect().height));
      expect(Math.max(...heights)).toBeGreaterThan(50);
      // The legend and the bin labels are laid out, not collapsed.
      const legend = await chart.locator('g.legend').boundingBox();
      expect(legend!.width).toBeGreaterThan(100);
      const labels = await chart.locator('text.bin').evaluateAll((texts) => texts.map((t) => t.getBoundingClientRect().width));
      expect(labels.every((w) => w > 0)).toBe(true);
    }
    expect(await page.locator('#chart-2').count()).toBe(0);

    // The drifting and moderate rows of the table, visible, with their colour.
    const driftRows = page.locator('table.features tbody tr.row-drift');
    expect(await driftRows.locator('th').allInnerTexts()).toEqual(['tenure', 'last_ticket', '↳ vocabulary share']);
    for (const row of await driftRows.all()) expect(await row.isVisible()).toBe(true);
    await expect(visibleRow(page, 'monthlycharges')).resolves.toMatch(/moderate/);
    await expect(visibleRow(page, 'tenure')).resolves.toMatch(/^tenure\tnumeric\t0\.413\tdrift\tKS 0\.221\t< 0\.001\t1,184\t0$/);
    const colours = await page.locator('table.features tbody tr').evaluateAll((rows) =>
      rows.map((row) => {
        const view = row.ownerDocument.defaultView!;
        return [row.querySelector('th')!.textContent, view.getComputedStyle(row.querySelector('.badge')!).color, view.getComputedStyle(row).backgroundColor];
      }));
    const colourOf = (name: string) => colours.find(([n]) => n === name)!;
    expect(colourOf('tenure')[1]).toBe('rgb(180, 35, 24)');
    expect(colourOf('monthlycharges')[1]).toBe('rgb(181, 71, 8)');
    expect(colourOf('contract')[1]).toBe('rgb(6, 118, 71)');
    expect(colourOf('tenure')[2]).not.toBe(colourOf('contract')[2]);

    // A feature's name in the table leads to its chart.
    await page.locator('table.features a', { hasText: 'monthlycharges' }).click();
    expect(page.url()).toBe(`${url}#chart-1`);
    expect(await page.locator('#chart-1 svg.chart').isVisible()).toBe(true);
    await page.locator('h1').scrollIntoViewIfNeeded();

    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'monitoring-report.png'), fullPage: true });
    expect(requested).toEqual([url]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a hostile feature name as text: no element of it is parsed, the table keeps its shape', async () => {
    const report = monitoringReport();
    report.features[0]!.name = HOSTILE;
    report.features[2]!.name = HOSTILE;
    report.prediction!.labels!.histogram.bins[1] = HOSTILE;
    report.notes.push(HOSTILE);
    await open(report, 'hostile.html');

    expect(await page.locator('img, script, iframe, object, embed').count()).toBe(0);
    expect(await page.locator('[onerror]').count()).toBe(0);
    expect(await page.locator('table.features tbody th', { hasText: '<img src=x' }).allTextContents()).toEqual([HOSTILE, HOSTILE]);
    expect(await page.locator('table.features tbody tr').evaluateAll((rows) => rows.map((r) => r.children.length))).toEqual([8, 8, 8, 8, 8, 8]);
    expect(await page.locator('svg.chart').count()).toBe(5);
    expect(await page.locator('svg.chart title').first().textContent()).toBe(`${HOSTILE}: baseline and current distribution (drift, PSI 0.413)`);
    expect(await page.locator('ul.notes li').last().textContent()).toBe(HOSTILE);
    expect(problems).toEqual([]);
  }, 60_000);
});

/** A row of the features table, by its feature's name, as the page shows it (cells tab-separated); it must be visible. */
async function visibleRow(page: Page, name: string): Promise<string> {
  const row = page.locator('table.features tbody tr').filter({ has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
  expect(await row.isVisible()).toBe(true);
  return (await row.innerText()).trim();
}
