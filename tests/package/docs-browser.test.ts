import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { startCapturedLocalApi } from '../helpers/local-api';
import { authorize } from '../helpers/docs-page';
import { repoRoot } from '../helpers/models';

/** Debian's chromium (.ci/run installs it); playwright-core drives it and downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
/** Where CI keeps the page as the test saw it (.artifacts/ is git-ignored). */
const SCREENSHOTS = path.join(repoRoot, '.artifacts', 'screenshots');

/**
 * GET /docs in a real browser against the local API, as a new user would
 * use it: open the page, paste the key in Authorize, try POST /predict with
 * the example the page offers, and read the answer from the page.
 */
describe('the docs page in headless Chromium, against npm start', () => {
  let offline: LocalApi | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    offline = await startCapturedLocalApi();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: ['--headless=new', '--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('request', (request) => requested.push(request.url()));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    // Chromium reports a Content-Security-Policy violation, a script error or a failed load as an error message.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (offline) await stopProcessGroup(offline.child);
  });

  it('renders the API from /openapi.json with Swagger UI, loading nothing from elsewhere and breaking no rule of its policy', async () => {
    const response = await page.goto(`${offline!.base}/docs`);
    expect(response!.status()).toBe(200);
    await page.locator('#operations-predict-predictDefault').waitFor({ timeout: 30_000 });
    expect(await page.locator('.information-container .title').innerText()).toContain('ml-inference');
    const origin = new URL(offline!.base).origin;
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(requested).toEqual(expect.arrayContaining([`${offline!.base}/openapi.json`, `${offline!.base}/docs/swagger-ui-bundle.js`]));
    expect(problems).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'docs-page.png') });
  }, 60_000);

  it('takes the key, runs POST /predict with the example it offers, and shows the answer the API gives', async () => {
    await authorize(page, offline!.keys['ml-inference-local-free']!);

    const operation = page.locator('#operations-predict-predictDefault');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    const sent = await operation.locator('textarea.body-param__text').inputValue();
    await operation.locator('.execute').click();

    const answer = operation.locator('.live-responses-table tbody tr.response');
    await answer.waitFor({ timeout: 30_000 });
    expect((await answer.locator('.response-col_status').innerText()).trim()).toBe('200');
    const shown = JSON.parse(await answer.locator('.response-col_description pre').first().innerText()) as Record<string, unknown>;

    // The same body straight to the API, with the same key.
    const direct = await fetch(`${offline!.base}/predict`, { method: 'POST', body: sent, headers: { 'x-api-key': offline!.keys['ml-inference-local-free']!, 'content-type': 'application/json' } });
    expect(direct.status).toBe(200);
    expect(shown).toEqual(await direct.json());
    expect(shown).toMatchObject({ churn_probability: expect.any(Number), churn: expect.any(Boolean), model: { name: 'churn' } });

    // The answer as the page shows it, mid-screen.
    await answer.evaluate((row) => row.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'docs-try-predict.png') });
    expect(problems).toEqual([]);
  }, 60_000);
});
