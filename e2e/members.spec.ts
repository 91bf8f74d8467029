import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures';
import { CLI, freePort } from '../test/support/processes.mjs';

const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/screenshots');

/**
 * Settings → Members against the real headless host hosting its tracker: a member invite made in
 * the UI is redeemed by a real `p2pclient -join`, the member appears, and removing it in the UI
 * cuts it off (its next `-list` is refused).
 */
test('members: invite from the UI, a real client joins with it, and removing it cuts it off', async ({ net, openApp }, testInfo) => {
  test.setTimeout(90_000);
  const hostPort = await freePort();
  const { page } = await openApp({ folder: await net.tempDir(), dataDir: await net.tempDir(), trackers: [`127.0.0.1:${hostPort}`], hostArgs: ['-host-tracker', '-host-tracker-port', String(hostPort)] });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Settings/ }).click();
  const members = page.getByRole('region', { name: 'Members' });
  await expect(members).toContainText('Anyone with the network key is a member');

  await members.getByLabel('Valid for').selectOption({ label: '7 days' });
  await members.getByLabel('Uses').fill('2');
  await members.getByRole('button', { name: 'Create member invite' }).click();
  const invite = members.getByRole('group', { name: 'Member invite' });
  await expect(invite).toContainText('For 2 people');
  await expect(invite.getByRole('img', { name: 'Member invite QR code' })).toBeVisible();
  const link = await invite.getByRole('textbox', { name: 'Member invite link' }).inputValue();
  expect(link).toMatch(/^p2p:\/\/[^\s/]+\/join#[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{24}\.[0-9a-f]{32}$/);

  // A real client redeems it.
  const memberData = await net.tempDir();
  const join = net.spawn(CLI.client, ['-data', memberData, '-join', link, '-name', 'carol-laptop'], { P2P_KEY: '' });
  expect((await join.waitForExit(30_000)).code, join.describe()).toBe(0);
  const list = members.getByRole('list', { name: 'Members of this network' });
  await expect(list.getByRole('listitem').filter({ hasText: 'carol-laptop' })).toBeVisible({ timeout: 10_000 });
  await expect(members).toContainText('Only these members can list and download');

  if (testInfo.project.name === 'browser') {
    await mkdir(SCREENSHOTS, { recursive: true });
    await members.screenshot({ path: path.join(SCREENSHOTS, 'members-light.png') });
  }

  // Removing asks first, then cuts the member off.
  await list.getByRole('button', { name: 'Remove carol-laptop' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove carol-laptop?' });
  await dialog.getByRole('button', { name: 'Remove from the network' }).click();
  await expect(list.getByRole('listitem').filter({ hasText: 'carol-laptop' })).toHaveCount(0);
  const listing = net.spawn(CLI.client, ['-data', memberData, '-list', '-timeout', '5'], { P2P_KEY: '' });
  expect((await listing.waitForExit(20_000)).code).toBe(1);
  expect(listing.stderr).toContain('this device was removed from the network');
});
