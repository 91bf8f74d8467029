import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { randomFile } from './network';

/** What the tracker client says when the tracker holds another key (electron/engine/tracker/tracker-client.ts). */
const WRONG_KEY = /this tracker uses a different network key: ask for a new invite/;

async function go(page: Page, view: 'Network' | 'Settings') {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: new RegExp(`^${view}`) }).click();
}

async function joinWith(page: Page, invite: string) {
  await go(page, 'Settings');
  await page.getByRole('textbox', { name: 'Invite' }).fill(invite);
  await page.getByRole('button', { name: 'Join' }).click();
}

const otherKey = () => randomBytes(32).toString('base64url');

test('joining with an invite whose key is wrong says so instead of "joined", in Settings and in the Network view', async ({ net, browser }) => {
  const tracker = await net.tracker();
  // A host on a key of its own, so it has no saved listing either.
  const host = await net.host(await net.tempDir(), await net.tempDir(), ['-port', '0', '-tracker', `127.0.0.1:${tracker.port}`, '-key', otherKey()]);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(host.url);

  await joinWith(page, `p2p://127.0.0.1:${tracker.port}#${otherKey()}`);
  await expect(page.locator('form').filter({ has: page.getByRole('textbox', { name: 'Invite' }) })).toContainText(WRONG_KEY, { timeout: 15_000 });
  await expect(page.getByRole('region', { name: 'Messages' })).not.toContainText('Joined the network');
  await expect(page.getByRole('list', { name: 'Tracker connections' })).toContainText(WRONG_KEY);

  await go(page, 'Network');
  await expect(page.getByRole('heading', { name: 'Wrong network key' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText(WRONG_KEY)).toBeVisible();
  await expect(page.getByText('Check that the tracker is running')).toHaveCount(0);
  await context.close();
});

test('with a saved listing on screen, a wrong key is named rather than "no tracker is answering"', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const seedDir = await net.tempDir();
  await randomFile(path.join(seedDir, 'seen before.bin'), 100_000);
  await net.peer(seedDir, tracker.port);
  const { page } = await openApp({ folder: await net.tempDir(), dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  const row = page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: 'seen before.bin' });
  await expect(row).toBeVisible();
  await page.waitForTimeout(6000); // the host saves a copy of the listing within seconds

  await joinWith(page, `p2p://127.0.0.1:${tracker.port}#${otherKey()}`);
  await expect(page.locator('form').filter({ has: page.getByRole('textbox', { name: 'Invite' }) })).toContainText(WRONG_KEY, { timeout: 15_000 });
  await go(page, 'Network');
  await expect(page.getByRole('status').filter({ hasText: WRONG_KEY })).toBeVisible({ timeout: 15_000 });
  await expect(row).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /No tracker is answering/ })).toHaveCount(0);
});
