import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures';
import { randomFile } from './network';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/screenshots');
const MiB = 1024 * 1024;

test('screenshots of each main view, light and dark', async ({ net, openApp }, testInfo) => {
  test.skip(testInfo.project.name !== 'browser', 'screenshots come from the browser project');
  test.setTimeout(120_000);
  await mkdir(OUT, { recursive: true });
  const tracker = await net.tracker();
  const seedDir = await net.tempDir();
  const names = ['Documentation/Getting started.pdf', 'Music/Night drive – synthwave mix.flac', 'Photos/2026 Iceland/glacier-0412.raw', 'Video/conference-keynote-1080p.mp4', 'Software/debian-12.8-amd64-netinst.iso', 'Books/The Art of Computer Programming.epub'];
  for (const [i, name] of names.entries()) await randomFile(path.join(seedDir, name), (i + 1) * 3 * MiB);
  await net.peer(seedDir, tracker.port, ['-limit-up', '3072']);
  const folder = await net.tempDir();
  await randomFile(path.join(folder, 'Shared/readme.txt'), 3000);
  const { page } = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  const grid = page.getByRole('grid', { name: 'Files on the network' });
  await expect(grid.getByRole('row').filter({ hasText: 'keynote' })).toBeVisible();
  await grid.getByRole('row').filter({ hasText: 'Getting started.pdf' }).getByRole('button', { name: 'Download' }).click();
  await grid.getByRole('row').filter({ hasText: 'keynote' }).getByRole('button', { name: 'Download' }).click();
  await grid.getByRole('row').filter({ hasText: 'debian' }).getByRole('button', { name: 'Download' }).click();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('button', { name: /^Downloads/ }).click();
  await expect(page.getByRole('listitem', { name: 'Documentation/Getting started.pdf' })).toContainText(/done/i, { timeout: 30_000 });
  await page.getByRole('listitem', { name: 'Software/debian-12.8-amd64-netinst.iso' }).getByRole('button', { name: 'Pause' }).click();

  for (const theme of ['Light', 'Dark'] as const) {
    await nav.getByRole('button', { name: 'Settings' }).click();
    await page.getByText(theme, { exact: true }).click();
    for (const view of ['Network', 'Downloads', 'Shared folders', 'Settings'] as const) {
      await nav.getByRole('button', { name: new RegExp(`^${view}`) }).click();
      await page.waitForTimeout(400);
      const file = `${view.toLowerCase().replace(/ /g, '-')}-${theme.toLowerCase()}.png`;
      await page.screenshot({ path: path.join(OUT, file) });
    }
  }
});
