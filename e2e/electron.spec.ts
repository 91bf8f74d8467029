import path from 'node:path';
import { expect, test } from './fixtures';
import { randomFile } from './network';

test('the desktop window exposes only the contract and no Node', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const folder = await net.tempDir();
  await randomFile(path.join(folder, 'local.txt'), 10);
  const { page } = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  expect(page.url()).toMatch(/^app:\/\/p2p\//);
  const globals = await page.evaluate(() => ({
    require: typeof (window as unknown as { require?: unknown }).require,
    process: typeof (window as unknown as { process?: unknown }).process,
    p2p: Object.keys((window as unknown as { p2p: object }).p2p).sort(),
  }));
  expect(globals).toEqual({ require: 'undefined', process: 'undefined', p2p: ['invoke', 'on'] });
  // Navigation away from the app is refused.
  await page.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toMatch(/^app:\/\/p2p\//);
  await expect(page.getByRole('button', { name: 'Add folder' })).toHaveCount(1);
});
