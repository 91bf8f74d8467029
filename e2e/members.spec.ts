import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures';
import { CLI, freePort } from '../test/support/processes.mjs';
import type { Page } from '@playwright/test';
import type { TestNetwork } from './network';

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

test('members: a second app joins with a member invite pasted into Join network, and sees the first one\'s files', async ({ net, openApp, browser }, testInfo) => {
  test.skip(testInfo.project.name !== 'browser', 'two apps at once: the browser project runs two headless hosts');
  test.setTimeout(90_000);
  const hostPort = await freePort();
  const folder = await net.tempDir();
  await writeFile(path.join(folder, 'for members.txt'), 'only for members');
  const { page } = await openApp({ folder, dataDir: await net.tempDir(), trackers: [`127.0.0.1:${hostPort}`], hostArgs: ['-host-tracker', '-host-tracker-port', String(hostPort)] });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Settings/ }).click();
  const members = page.getByRole('region', { name: 'Members' });
  await members.getByRole('button', { name: 'Create member invite' }).click();
  const link = await members.getByRole('group', { name: 'Member invite' }).getByRole('textbox', { name: 'Member invite link' }).inputValue();

  // The second app: its own host, no tracker of this network, no key.
  const other = await (await browser.newContext()).newPage();
  await other.goto(await keylessHost(net));
  await joinFromSettings(other, link);
  await other.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Network/ }).click();
  await expect(other.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: 'for members.txt' })).toBeVisible({ timeout: 20_000 });
  // The first app lists the new member.
  await expect(members.getByRole('list', { name: 'Members of this network' })).toContainText(/online/);

  // The same invite a second time: a clear refusal under the field.
  const late = await (await browser.newContext()).newPage();
  await late.goto(await keylessHost(net));
  await joinFromSettings(late, link);
  await expect(late.getByRole('alert').filter({ hasText: 'invite already used' })).toBeVisible({ timeout: 15_000 });

  // The first app removes the second; the second is told, in words.
  const joined = members.getByRole('list', { name: 'Members of this network' }).getByRole('listitem').filter({ hasNotText: 'this device' });
  await joined.getByRole('button', { name: /^Remove / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove from the network' }).click();
  await expect(other.getByRole('region', { name: 'Messages' })).toContainText('this device was removed from the network', { timeout: 20_000 });
});

/** A headless host that holds no key of the test network (the others share one through P2P_KEY): it starts in open mode. */
async function keylessHost(net: TestNetwork): Promise<string> {
  const proc = net.spawn(CLI.client, ['-folder', await net.tempDir(), '-ui', '0', '-port', '0', '-open'], { P2P_DATA_DIR: await net.tempDir(), P2P_KEY: '' });
  return (await proc.waitFor(/web UI: (\S+)/))[1]!;
}

async function joinFromSettings(page: Page, link: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Settings/ }).click();
  const form = page.getByRole('form', { name: 'Join network' });
  await form.getByRole('textbox', { name: 'Invite' }).fill(link);
  await form.getByRole('button', { name: 'Join' }).click();
}

