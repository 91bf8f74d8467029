import { randomBytes } from 'node:crypto';
import { expect, test } from './fixtures';
import { TrackerClient } from '../dist/electron/engine/tracker/tracker-client.js';
import { tlsTransport } from '../dist/electron/engine/wire/tls-transport.js';
import { parseNetworkKey } from '../dist/electron/engine/security/network-key.js';
import { PeerIdentity } from '../dist/electron/engine/security/peer-identity.js';

const ROWS = 100_000;

test('a listing of 100,000 files stays virtualized, scrolls to the end and filters', async ({ net, openApp }) => {
  test.setTimeout(120_000);
  const tracker = await net.tracker();
  // One simulated peer announces 100,000 files (the tracker only stores metadata).
  const files = Array.from({ length: ROWS }, (_, i) => ({
    path: `library/shelf-${String(Math.floor(i / 1000)).padStart(3, '0')}/item-${String(i).padStart(6, '0')}.dat`,
    size: 1000 + i,
    hash: randomBytes(32).toString('hex'),
  }));
  const identity = PeerIdentity.generate();
  const announcer = new TrackerClient({
    address: `127.0.0.1:${tracker.port}`,
    peerId: identity.peerId,
    identity,
    listenPort: 1,
    files: () => files,
    transport: tlsTransport(parseNetworkKey(net.key)),
  });
  announcer.start();
  try {
    await announcer.waitConnected(10_000);
    await announcer.flush();
    const { page } = await openApp({ folder: await net.tempDir(), dataDir: await net.tempDir(), trackers: [`127.0.0.1:${tracker.port}`] });
    const grid = page.getByRole('grid', { name: 'Files on the network' });
    await expect(grid).toHaveAttribute('aria-rowcount', String(ROWS + 1));
    await expect(grid.getByRole('row').filter({ hasText: 'item-000000.dat' })).toBeVisible();
    const rendered = await grid.getByRole('row').count();
    expect(rendered).toBeLessThan(200);

    // Jump to the end: the last rows load on demand.
    await page.locator('.grid-body, [data-virtual-scroller]').first().evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(grid.getByRole('row').filter({ hasText: 'item-099999.dat' })).toBeVisible({ timeout: 20_000 });
    expect(await grid.getByRole('row').count()).toBeLessThan(200);

    await page.getByRole('textbox', { name: 'Search files' }).fill('item-04242');
    await expect(grid).toHaveAttribute('aria-rowcount', String(10 + 1));
    await expect(grid.getByRole('row').filter({ hasText: 'item-042429.dat' })).toBeVisible();
  } finally {
    await announcer.stop();
  }
});
