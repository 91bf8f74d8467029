import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { STREAM_IDLE_MS } from '../electron/engine/tracker/tracker-stream.js';
import { announced, eventually, Fixtures, sha256, sha256File, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

/** How an engine reaches a tracker in protocol v2: the control plane, and a stream only when needed. */
describe('the engine and a version-2 tracker', () => {
  it('stays listed with no connection held: the stream it opened for a listing closes when idle', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const seeder = await fx.peer(tracker.port, { networkKey: key });
    await writeFile(path.join(seeder.folder, 'held-without-a-connection.txt'), 'listed by heartbeats\n');
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { networkKey: key });
    const page = await eventually(async () => {
      const p = await leecher.engine.list();
      return p.items.some((i) => i.name === 'held-without-a-connection.txt') ? p : undefined;
    }, 10_000, 'listed');
    expect(page.stale).toBeUndefined();
    expect(tracker.state.peerCount).toBe(2);
    // Every stream (the listing's, the start-up probes) closes after STREAM_IDLE_MS; both engines stay members.
    await eventually(() => tracker.connectionCount === 0, STREAM_IDLE_MS + 5000, 'no connection left');
    expect(tracker.state.peerCount).toBe(2);
    expect(tracker.control!.isMember(tracker.state.peerById(seeder.engine.peerId)!)).toBe(true);
    const item = page.items.find((i) => i.name === 'held-without-a-connection.txt')!;
    expect(await sha256File(await leecher.engine.fetch(item))).toBe(sha256(Buffer.from('listed by heartbeats\n')));
  });

  it('announces a name too long for any datagram over the stream, and the listing has it', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const seeder = await fx.peer(tracker.port, { networkKey: key });
    // Five folders of 240 bytes: a path of about 1,220 bytes, past what an ANNOUNCE datagram can carry (~1,090).
    const segments = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(240));
    await mkdir(path.join(seeder.folder, ...segments), { recursive: true });
    const long = path.join(...segments, 'deep.txt');
    await writeFile(path.join(seeder.folder, long), 'a long way down\n');
    await writeFile(path.join(seeder.folder, 'short.txt'), 'near the top\n');
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const names = await eventually(async () => {
      const items = (await seeder.engine.listAll('', false)).map((i) => i.name);
      return items.includes(long.split(path.sep).join('/')) && items.includes('short.txt') ? items : undefined;
    }, 10_000, 'both names listed');
    expect(names).toHaveLength(2);
  });
});

describe('the engine and a version-1 tracker', () => {
  it('uses the version-1 session when the tracker serves no control plane', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key, controlPlane: false });
    expect(tracker.control).toBeUndefined();
    const seeder = await fx.peer(tracker.port, { networkKey: key });
    const data = await writeRandomFile(path.join(seeder.folder, 'old-tracker.bin'), 300_000);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await eventually(() => seeder.engine.trackers().every((t) => t.connected), 10_000, 'seeder connected');
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { networkKey: key });
    const item = await eventually(async () => (await leecher.engine.list()).items.find((i) => i.name === 'old-tracker.bin'), 10_000, 'listed');
    expect(tracker.state.peerCount).toBe(2); // both joined over sessions
    expect(tracker.connectionCount).toBeGreaterThanOrEqual(2);
    expect(await sha256File(await leecher.engine.fetch(item))).toBe(sha256(data));
  });
});
