import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures';
import { freePort, SpawnedProcess, START_SCRIPT } from '../test/support/processes.mjs';

/**
 * A machine: `npm start` without its build step, as each "machine" of the README's set-up runs it,
 * with its own HOME (share folder, data folder, key), started in its own process group.
 */
async function npmStart(home: string, cleanups: Array<() => Promise<void>>): Promise<{ proc: SpawnedProcess; url: string }> {
  const env = { HOME: home, P2P_HEADLESS: '1', P2P_DATA_DIR: '', P2P_KEY: '', P2P_UI_PORT: String(await freePort()) };
  const proc = SpawnedProcess.node(START_SCRIPT, ['-host-tracker-port', String(await freePort())], { env, group: true });
  cleanups.push(() => proc.stop('SIGKILL'));
  return { proc, url: (await proc.waitFor(/web UI: (\S+)/, 30_000))[1]! };
}

test('a second machine joins from the empty Network view with the invite npm start printed', async ({ net, browser }) => {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const homeOne = await net.tempDir('p2p-e2e-home-');
    await mkdir(path.join(homeOne, 'P2P Share'));
    await writeFile(path.join(homeOne, 'P2P Share', 'on machine one.txt'), 'hello from one');
    const one = await npmStart(homeOne, cleanups);
    const invite = (await one.proc.waitFor(/^invite: (p2p:\/\/\S+)$/m))[1]!;

    const two = await npmStart(await net.tempDir('p2p-e2e-home-'), cleanups);
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    await page.goto(two.url);

    await expect(page.getByRole('heading', { name: 'Nothing is shared on the network yet' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Share a folder' })).toBeVisible();
    await page.getByRole('button', { name: 'Join a network' }).click();
    const field = page.getByRole('textbox', { name: 'Invite' });
    await expect(field).toBeFocused();
    await field.fill(invite);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('grid', { name: 'Files on the network' }).getByRole('row').filter({ hasText: 'on machine one.txt' })).toBeVisible({ timeout: 20_000 });
    await expect(page.getByRole('contentinfo', { name: 'Status' })).toContainText('Private network');
  } finally {
    for (const close of cleanups.reverse()) await close().catch(() => {});
  }
});
