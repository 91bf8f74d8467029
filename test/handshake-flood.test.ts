import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
const HANDSHAKE_DEADLINE_MS = 5000;
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { Fixtures, announced, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { ATTACKER_ADDRESS, flood, type Flood } from './support/flood.js';

/**
 * Hostile connections before any handshake: one address (127.0.0.2, a
 * loopback alias on Linux; see support/flood.ts) opens hundreds of idle TCP connections, never
 * sending a byte, and reopens each one the server closes. Members connecting
 * from another address (127.0.0.1) must still get in, at once.
 */
/** More than the old raw cap of a peer (256 + 64) and of a tracker built with maxConnections 100 (100 + 64). */
const FLOOD_CONNECTIONS = 400;
/** The member must get through well before the handshake deadline frees any slot by itself. */
const MEMBER_BUDGET_MS = HANDSHAKE_DEADLINE_MS - 1000;

const fx = new Fixtures();
afterEach(() => fx.cleanup());

function startFlood(port: number, count: number): Flood {
  const attack = flood(port, count);
  fx.defer(() => attack.stop());
  return attack;
}

describe('a pre-handshake flood from one address', () => {
  it('does not lock other addresses out of a peer', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const seedFolder = await fx.tempDir();
    const data = await writeRandomFile(path.join(seedFolder, 'wanted.bin'), 2 * 1024 * 1024);
    const seeder = await fx.peer(tracker.port, { folder: seedFolder, networkKey: key });
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { networkKey: key });
    await announced(leecher.engine);
    const [item] = (await leecher.engine.list()).items;

    await startFlood(seeder.engine.port, FLOOD_CONNECTIONS).connected(FLOOD_CONNECTIONS);
    const started = Date.now();
    const file = await leecher.engine.fetch(item!);
    expect(Date.now() - started).toBeLessThan(MEMBER_BUDGET_MS);
    expect(await sha256File(file)).toBe(sha256(data));
    // The attacker holds no more than its per-address share (16) of the peer's sockets.
    expect(seeder.engine.peerServer!.connectionCount).toBeLessThanOrEqual(16 + 1);
  }, 20_000);

  it('does not lock other addresses out of a tracker', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key, maxConnections: 100 });
    await startFlood(tracker.port, FLOOD_CONNECTIONS).connected(FLOOD_CONNECTIONS);

    const folder = await fx.tempDir();
    await writeRandomFile(path.join(folder, 'member.txt'), 100);
    const started = Date.now();
    const member = await fx.peer(tracker.port, { folder, networkKey: key });
    await member.engine.waitForTracker(MEMBER_BUDGET_MS);
    await member.engine.flushAnnouncements();
    expect((await member.engine.list()).items.map((i) => i.name)).toEqual(['member.txt']);
    expect(Date.now() - started).toBeLessThan(MEMBER_BUDGET_MS);
  }, 20_000);

  it('closes an idle connection that never starts its handshake within the deadline', async () => {
    const tracker = await fx.tracker({ networkKey: generateNetworkKey() });
    const socket = net.connect({ port: tracker.port, host: '127.0.0.1', localAddress: ATTACKER_ADDRESS });
    fx.defer(() => socket.destroy());
    socket.on('error', () => {});
    await new Promise((r) => socket.once('connect', r));
    const started = Date.now();
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      setTimeout(resolve, HANDSHAKE_DEADLINE_MS + 3000).unref();
    });
    expect(socket.destroyed || socket.readyState === 'closed').toBe(true);
    expect(Date.now() - started).toBeLessThan(HANDSHAKE_DEADLINE_MS + 1000);
  }, 15_000);
});
