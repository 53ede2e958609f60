import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { stopProcessGroup, type LocalApi } from '../../scripts/local-api';
import { addModel } from '../../scripts/model-add/main';
import { startCapturedLocalApi } from '../helpers/local-api';
import { authorize } from '../helpers/docs-page';
import { repoRoot } from '../helpers/models';
import { removeModelsDir, scratchModelsDir, useModelsDir } from '../helpers/models-dir';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, '.artifacts', 'screenshots');
const images = path.join(repoRoot, 'tests', 'fixtures', 'images');

/**
 * The docs page with an image model deployed, in headless Chromium against
 * npm start: Try it out on the model's predict route, pick the form body,
 * choose a photo in its file picker, and read the labels the page shows.
 */
describe('the docs page uploads a picture', () => {
  const dir = scratchModelsDir(true);
  let api: LocalApi | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    useModelsDir(dir);
    await addModel({ file: path.join(images, 'shapes_classifier.onnx'), name: 'shapes', image: { labels: path.join(images, 'shapes_labels.txt') } });
    api = await startCapturedLocalApi({ settings: { MODELS_DIR: dir } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: false, args: ['--headless=new', '--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (api) await stopProcessGroup(api.child);
    removeModelsDir(dir);
  });

  it('sends the chosen photo as a form upload and shows the top labels', async () => {
    await page.goto(`${api!.base}/docs`);
    await page.locator('button.authorize').first().waitFor({ timeout: 30_000 });
    await authorize(page, api!.keys['ml-inference-local-free']!);

    const operation = page.locator('#operations-model_shapes-predict_shapes');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.opblock-section-request-body select').selectOption('multipart/form-data');
    await operation.locator('input[type=file]').first().setInputFiles(path.join(images, 'circle.jpg'));
    await operation.locator('.execute').click();

    const answer = operation.locator('.live-responses-table tbody tr.response');
    await answer.waitFor({ timeout: 30_000 });
    expect((await answer.locator('.response-col_status').innerText()).trim()).toBe('200');
    const shown = JSON.parse(await answer.locator('.response-col_description pre').first().innerText()) as { label: string; probabilities: Record<string, number> };
    expect(shown.label).toBe('circle');
    // Swagger UI fills the form's top_k with its example (1): the top label only, or more if asked.
    expect(Object.keys(shown.probabilities)[0]).toBe('circle');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await answer.evaluate((row) => row.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'docs-upload-picture.png') });
    expect(problems).toEqual([]);
  }, 90_000);
});
