import { rm } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';
import { randomFile } from './network';

function fileRow(page: import('@playwright/test').Page, name: string) {
  return page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: name });
}

test('a finished download deleted from disk stops saying "Downloaded" and can be downloaded again', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const seedDir = await net.tempDir();
  await randomFile(path.join(seedDir, 'here-then-gone.bin'), 3 * 1024 * 1024);
  await net.peer(seedDir, tracker.port);
  const folder = await net.tempDir();
  const { page } = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });

  const row = fileRow(page, 'here-then-gone.bin');
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(row).toContainText('Downloaded', { timeout: 30_000 });
  await expect(row.getByRole('button', { name: 'Download' })).toHaveCount(0);

  await rm(path.join(folder, 'here-then-gone.bin'));
  await expect(row.getByRole('button', { name: 'Download' })).toBeVisible({ timeout: 15_000 });
  await expect(row).not.toContainText('Downloaded');

  // And it really downloads again.
  await row.getByRole('button', { name: 'Download' }).click();
  await expect(row).toContainText('Downloaded', { timeout: 30_000 });
});
