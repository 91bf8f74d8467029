import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { randomFile } from './network';

const MiB = 1024 * 1024;

async function go(page: Page, view: 'Network' | 'Downloads') {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: new RegExp(`^${view}`) }).click();
}

/** The hidden partial files a download keeps in the folder it downloads into. */
async function partials(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.endsWith('.p2p-partial'));
}

async function startAndWait(page: Page, name: string, percent: number) {
  await go(page, 'Network');
  await page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: name }).getByRole('button', { name: 'Download' }).click();
  await go(page, 'Downloads');
  const row = page.getByRole('listitem', { name });
  const bar = row.getByRole('progressbar');
  await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(percent);
  return row;
}

test('cancel asks first, keeps the verified data unless told to delete it, and never shows a raw error', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const seedDir = await net.tempDir();
  await randomFile(path.join(seedDir, 'big-random.bin'), 48 * MiB);
  await net.peer(seedDir, tracker.port, ['-limit-up', '3072']);
  const folder = await net.tempDir();
  const app = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  const { page } = app;
  const toasts = page.getByRole('region', { name: 'Messages' });

  // Cancel with the default choice: the row goes, the verified pieces stay.
  let row = await startAndWait(page, 'big-random.bin', 5);
  await row.getByRole('button', { name: 'Cancel' }).click();
  const dialog = page.getByRole('dialog', { name: 'Cancel the download of big-random.bin?' });
  await expect(dialog).toBeVisible();
  const deleteBox = dialog.getByRole('checkbox', { name: /Also delete the partial data/ });
  await expect(deleteBox).not.toBeChecked();
  await expect(dialog.getByRole('button', { name: 'Cancel download' })).toBeFocused();
  await page.keyboard.press('Escape'); // Escape keeps downloading
  await expect(dialog).toHaveCount(0);
  await expect(row).toContainText(/downloading/i);
  await row.getByRole('button', { name: 'Cancel' }).click();
  await page.keyboard.press('Enter');
  await expect(row).toHaveCount(0);
  await expect(dialog).toHaveCount(0);
  expect(await partials(folder)).toHaveLength(1);

  // Downloading the same file again starts from those pieces.
  row = await startAndWait(page, 'big-random.bin', 10);
  if (app.proc) expect(app.proc.output).toMatch(/big-random\.bin: resuming with \d+ verified pieces/);

  // Cancel with "also delete": the partial file goes.
  await row.getByRole('button', { name: 'Cancel' }).click();
  await dialog.getByRole('checkbox', { name: /Also delete the partial data/ }).check();
  await dialog.getByRole('button', { name: 'Cancel download' }).click();
  await expect(row).toHaveCount(0);
  await expect.poll(() => partials(folder), { timeout: 5000 }).toEqual([]);

  await page.waitForTimeout(500); // a late notice would land by now
  await expect(toasts).not.toContainText(/TypeError|Cannot read properties|big-random\.bin:/);
});
