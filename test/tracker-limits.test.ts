import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../electron/engine/engine.js';
import { TrackerClient } from '../electron/engine/tracker/tracker-client.js';
import { TrackerState } from '../electron/engine/tracker/tracker-state.js';
import { encodeControl } from '../electron/engine/wire/frame-codec.js';
import { MAX_CONTROL_BYTES } from '../shared/protocol/limits.js';
import type { FileAnnouncement } from '../shared/protocol/messages.js';
import { Fixtures, eventually } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

function longName(i: number): string {
  // ~1.2 KB paths: five 240-byte segments.
  const seg = (c: string) => c.repeat(240);
  return `${seg('a')}/${seg('b')}/${seg('c')}/${seg('d')}/${String(i).padStart(6, '0')}-${seg('e').slice(0, 200)}`;
}

describe('message size limits with long names', () => {
  it('keeps every listing page under the control-message limit', () => {
    const state = new TrackerState();
    const { peer } = state.addPeer('ab'.repeat(16), '10.0.0.1', 1);
    const add: FileAnnouncement[] = [];
    for (let i = 0; i < 1000; i++) add.push({ path: longName(i), size: i, hash: randomBytes(32).toString('hex') });
    state.announce(peer, { reset: true, add, remove: [] });
    const page = state.list({ query: '', offset: 0, limit: 1000 });
    expect(page.total).toBe(1000);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThan(1000);
    const frame = encodeControl({ type: 'listing', id: 1, total: page.total, offset: 0, items: page.items });
    expect(frame.length).toBeLessThan(MAX_CONTROL_BYTES);
  });

  it('announces and lists 1,500 files with 1.2 KB names without crashing anything', async () => {
    const tracker = await fx.tracker();
    const files: FileAnnouncement[] = [];
    for (let i = 0; i < 1500; i++) files.push({ path: longName(i), size: 1, hash: randomBytes(32).toString('hex') });
    const client = new TrackerClient({ address: `127.0.0.1:${tracker.port}`, peerId: 'cd'.repeat(16), listenPort: 4444, files: () => files });
    client.start();
    fx.defer(() => client.stop());
    await client.waitConnected(5000);
    await client.flush();
    expect(tracker.state.entries).toBe(1500);
    const reader = new Engine({ dataDir: await fx.tempDir(), port: 0, trackers: [`127.0.0.1:${tracker.port}`], queryOnly: true });
    await reader.start();
    fx.defer(() => reader.stop());
    await reader.waitForTracker(5000);
    const all = await reader.listAll();
    expect(all).toHaveLength(1500);
    expect(new Set(all.map((i) => i.name)).size).toBe(1500);
  });
});

describe('tracker sessions', () => {
  it('refuses an announce whose size contradicts the known size of that content', async () => {
    const tracker = await fx.tracker();
    const hash = 'ee'.repeat(32);
    const a = await RawClient.connect(tracker.port);
    const b = await RawClient.connect(tracker.port);
    fx.defer(() => a.destroy());
    fx.defer(() => b.destroy());
    a.hello('01'.repeat(16), 1001);
    b.hello('02'.repeat(16), 1002);
    a.send({ type: 'announce', id: 1, reset: true, add: [{ path: 'x.bin', size: 100, hash }], remove: [] });
    await a.waitFor((m) => m.type === 'ok');
    b.send({ type: 'announce', id: 1, reset: true, add: [{ path: 'x.bin', size: 999, hash }], remove: [] });
    await b.waitFor((m) => m.type === 'ok');
    expect(tracker.state.lookup(hash)?.peers.map((p) => p.port)).toEqual([1001]);
  });

  it('closes the old connection when a peer id reconnects', async () => {
    const tracker = await fx.tracker();
    const first = await RawClient.connect(tracker.port);
    fx.defer(() => first.destroy());
    first.hello('07'.repeat(16), 2001);
    await first.waitFor((m) => m.type === 'welcome');
    const second = await RawClient.connect(tracker.port);
    fx.defer(() => second.destroy());
    second.hello('07'.repeat(16), 2001);
    await second.waitFor((m) => m.type === 'welcome');
    await first.waitClosed();
    expect(second.closed).toBe(false);
    await eventually(() => tracker.state.peerCount === 1, 2000);
  });
});
