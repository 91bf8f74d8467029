import path from 'node:path';
import { expect, test } from './fixtures';

async function go(page: import('@playwright/test').Page, view: 'Network' | 'Downloads' | 'Shared folders' | 'Settings') {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: new RegExp(`^${view}`) }).click();
}

test('adding a folder that does not exist says so in words, not with the raw errno', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const { page } = await openApp({ folder: await net.tempDir(), dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  await go(page, 'Shared folders');
  const field = page.getByRole('textbox', { name: 'Folder path' });
  test.skip((await field.count()) === 0, 'the desktop folder dialog cannot be driven from here');
  const missing = path.join(await net.tempDir(), 'does', 'not', 'exist');
  await field.fill(missing);
  await page.getByRole('button', { name: 'Add folder' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('that folder does not exist');
  await expect(alert).not.toContainText('ENOENT');
});
