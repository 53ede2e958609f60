import type { Page } from 'playwright-core';

/** The docs page's Authorize dialog, as a user fills it: the key pasted, authorized, closed. */
export async function authorize(page: Page, key: string): Promise<void> {
  await page.locator('button.authorize').first().click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.locator('input').first().fill(key);
  await dialog.locator('button.authorize').click();
  await dialog.locator('button.btn-done').click();
}
