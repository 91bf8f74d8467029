import path from 'node:path';
import { expect, test } from './fixtures';
import { randomFile, sha256Of } from './network';

const MiB = 1024 * 1024;

function fileRow(page: import('@playwright/test').Page, name: string) {
  return page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: name });
}

test('a download whose only peer leaves shows Stalled, then finishes by itself when the peer is back', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const seedDir = await net.tempDir();
  const expected = await randomFile(path.join(seedDir, 'comes-and-goes.bin'), 24 * MiB);
  const seeder = await net.peer(seedDir, tracker.port, ['-limit-up', '3072']);
  const folder = await net.tempDir();
  const { page } = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });

  await fileRow(page, 'comes-and-goes.bin').getByRole('button', { name: 'Download' }).click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Downloads/ }).click();
  const row = page.getByRole('listitem', { name: 'comes-and-goes.bin' });
  const bar = row.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 20_000 }).toBeGreaterThan(10);

  await seeder.proc.stop('SIGTERM');
  await expect(row).toContainText('Stalled', { timeout: 20_000 });
  await expect(row).toContainText('stalled, waiting for peers');
  await expect(row).not.toContainText('Failed');
  await expect(row.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  const keptAt = Number(await bar.getAttribute('aria-valuenow'));
  expect(keptAt).toBeGreaterThan(10);

  await net.peer(seedDir, tracker.port);
  await expect(row).toContainText(/done/i, { timeout: 40_000 });
  expect(await sha256Of(path.join(folder, 'comes-and-goes.bin'))).toBe(expected);
});
