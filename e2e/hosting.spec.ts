import nodeNet from 'node:net';
import type { Browser, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { CLI, freePort } from '../test/support/processes.mjs';
import type { TestNetwork } from './network';

async function settings(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: /^Settings/ }).click();
}

/** A headless host with extra environment (the fixture's openApp passes none). */
async function hostWithEnv(net: TestNetwork, browser: Browser, args: string[], env: Record<string, string>): Promise<Page> {
  const proc = net.spawn(CLI.client, ['-folder', await net.tempDir(), '-ui', '0', '-port', '0', ...args], { P2P_DATA_DIR: await net.tempDir(), ...env });
  const url = (await proc.waitFor(/web UI: (\S+)/))[1]!;
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  return page;
}

test('not hosting: the Invite panel explains instead of offering a 127.0.0.1 invite', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const { page } = await openApp({ folder: await net.tempDir(), dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
  await settings(page);
  await expect(page.getByRole('switch', { name: 'Host tracker' })).toHaveAttribute('aria-checked', 'false');
  const invite = page.getByRole('region', { name: 'Invite' });
  await expect(invite.getByRole('alert')).toContainText(`127.0.0.1:${tracker.port} is an address of this machine only`);
  await expect(invite).not.toContainText('p2p://');
  await expect(invite.getByRole('img', { name: 'Invite QR code' })).toHaveCount(0);
});

test('hosting that failed because the port is taken shows the switch off, with the reason', async ({ net, openApp }) => {
  const tracker = await net.tracker();
  const busy = nodeNet.createServer();
  await new Promise<void>((r) => busy.listen(0, r));
  const busyPort = (busy.address() as nodeNet.AddressInfo).port;
  try {
    const { page } = await openApp({
      folder: await net.tempDir(),
      dataDir: await net.tempDir(),
      trackers: [`127.0.0.1:${tracker.port}`],
      hostArgs: ['-host-tracker', '-host-tracker-port', String(busyPort)],
    });
    await settings(page);
    const hostSwitch = page.getByRole('switch', { name: 'Host tracker' });
    await expect(page.getByRole('alert').filter({ hasText: new RegExp(`port ${busyPort}.*in use`) })).toBeVisible();
    await expect(hostSwitch).toHaveAttribute('aria-checked', 'false');
    await expect(page.getByRole('list', { name: 'Addresses of this tracker' })).toHaveCount(0);

    // Freed, the switch turns it on for real.
    await new Promise((r) => busy.close(r));
    await hostSwitch.click();
    await expect(hostSwitch).toHaveAttribute('aria-checked', 'true');
    await expect(page.getByRole('list', { name: 'Addresses of this tracker' })).toContainText(`:${busyPort}`);
  } finally {
    busy.close();
  }
});

test('a machine with only a loopback address shows that as an error, in Host tracker and in the invite', async ({ net, browser }) => {
  const port = await freePort();
  // P2P_ADVERTISE names what others reach this machine at; loopback is never named, so nothing is left.
  const page = await hostWithEnv(net, browser, ['-host-tracker', '-host-tracker-port', String(port)], { P2P_ADVERTISE: '127.0.0.1' });
  await settings(page);
  await expect(page.getByRole('switch', { name: 'Host tracker' })).toHaveAttribute('aria-checked', 'true');
  await expect(page.locator('.host-tracker').getByRole('alert')).toContainText('This machine has no address others can reach');
  const invite = page.getByRole('region', { name: 'Invite' });
  await expect(invite.getByRole('alert')).toContainText('This machine has no address others can reach');
  await expect(invite).not.toContainText('p2p://');
  await expect(invite.getByRole('img', { name: 'Invite QR code' })).toHaveCount(0);
});
