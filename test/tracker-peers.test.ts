import net from 'node:net';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeControl, FrameDecoder } from '../electron/engine/wire/frame-codec.js';
import { Fixtures, announced, eventually, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe('tracker with three peers', () => {
  it('lists every file with its peer count, answers lookups, and forgets peers that leave', async () => {
    const tracker = await fx.tracker();
    const a = await fx.peer(tracker.port);
    const b = await fx.peer(tracker.port);
    const c = await fx.peer(tracker.port);
    await writeRandomFile(path.join(a.folder, 'shared.bin'), 4096);
    const sharedData = await import('node:fs/promises').then((fs) => fs.readFile(path.join(a.folder, 'shared.bin')));
    await writeFile(path.join(b.folder, 'copy-of-shared.bin'), sharedData);
    await writeRandomFile(path.join(b.folder, 'only-b.txt'), 10);
    await writeRandomFile(path.join(c.folder, 'deep/er/only-c.dat'), 2_000_000);
    for (const p of [a, b, c]) {
      await p.engine.folderIndex(p.folder)!.idle();
    }
    await eventually(async () => (await a.engine.list()).total === 4, 10_000, 'four rows');
    const { items } = await a.engine.list({ limit: 100 });
    expect(items.map((i) => i.name)).toEqual(['copy-of-shared.bin', 'deep/er/only-c.dat', 'only-b.txt', 'shared.bin']);
    const shared = items.find((i) => i.name === 'shared.bin')!;
    expect(shared.peers).toBe(2); // same content under two names: two holders
    expect(items.find((i) => i.name === 'deep/er/only-c.dat')!.size).toBe(2_000_000);

    // Lookup returns the peers' reachable addresses: connection IP plus announced port.
    const holders = await c.engine.findPeers(shared.hash);
    expect(holders.map((h) => h.port).sort()).toEqual([a.engine.port, b.engine.port].sort());
    expect(holders.every((h) => h.host === '127.0.0.1')).toBe(true);

    // Paging and search.
    const page = await a.engine.list({ offset: 1, limit: 2 });
    expect(page.total).toBe(4);
    expect(page.items.map((i) => i.name)).toEqual(['deep/er/only-c.dat', 'only-b.txt']);
    expect((await a.engine.list({ query: 'ONLY' })).items.map((i) => i.name)).toEqual(['deep/er/only-c.dat', 'only-b.txt']);
    expect((await a.engine.list({ query: shared.hash.slice(0, 10) })).items.map((i) => i.name)).toEqual(['copy-of-shared.bin', 'shared.bin']);

    // A clean stop leaves the listing at once.
    await b.engine.stop();
    await eventually(async () => (await a.engine.list()).total === 2, 5000, 'b to leave');
    expect((await a.engine.list()).items.find((i) => i.name === 'shared.bin')!.peers).toBe(1);
    expect(tracker.state.peerCount).toBe(2);
  });

  it('drops a peer that stops heartbeating within the peer timeout', async () => {
    const tracker = await fx.tracker({ peerTimeoutMs: 600, heartbeatMs: 200 });
    // A raw client that says hello, announces, then goes silent without closing.
    const socket = net.connect(tracker.port, '127.0.0.1');
    fx.defer(() => socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    const decoder = new FrameDecoder();
    const replies: Array<{ type: string }> = [];
    socket.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) if (f.kind === 0) replies.push(f.message as { type: string });
    });
    socket.write(encodeControl({ type: 'hello', protocol: 'p2pshare', versions: [1], peerId: 'ab'.repeat(16), listenPort: 4242 }));
    socket.write(encodeControl({ type: 'announce', id: 1, reset: true, add: [{ path: 'silent.txt', size: 1, hash: 'cd'.repeat(32) }], remove: [] }));
    await eventually(() => replies.some((r) => r.type === 'ok'), 3000, 'announce ok');
    expect(tracker.state.entries).toBe(1);
    const started = Date.now();
    await eventually(() => tracker.state.entries === 0, 5000, 'silent peer to expire');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('live folder changes', () => {
  it('reaches another peer\'s listing as files are added, changed, renamed and removed', async () => {
    const tracker = await fx.tracker();
    const a = await fx.peer(tracker.port);
    const b = await fx.peer(tracker.port);
    await announced(a.engine);
    await announced(b.engine);
    const names = async () => (await b.engine.list()).items.map((i) => `${i.name}:${i.size}`);

    await writeRandomFile(path.join(a.folder, 'new.txt'), 100);
    await eventually(async () => (await names()).includes('new.txt:100'), 10_000, 'added file');

    await writeRandomFile(path.join(a.folder, 'new.txt'), 250);
    await eventually(async () => (await names()).includes('new.txt:250'), 10_000, 'changed file');

    await rename(path.join(a.folder, 'new.txt'), path.join(a.folder, 'renamed.txt'));
    await eventually(async () => {
      const n = await names();
      return n.includes('renamed.txt:250') && !n.some((x) => x.startsWith('new.txt'));
    }, 10_000, 'renamed file');

    await rm(path.join(a.folder, 'renamed.txt'));
    await eventually(async () => (await names()).length === 0, 10_000, 'removed file');
  });

  it('does not re-hash unchanged files on restart (hash cache in the data dir, not the folder)', async () => {
    const tracker = await fx.tracker();
    const folder = await fx.tempDir();
    const dataDir = await fx.tempDir();
    for (let i = 0; i < 5; i++) await writeRandomFile(path.join(folder, `f${i}.bin`), 300_000);
    const first = await fx.peer(tracker.port, { folder, dataDir });
    expect(first.engine.folderIndex(folder)!.cacheStats.misses).toBe(5);
    await first.engine.stop();
    const second = await fx.peer(tracker.port, { folder, dataDir });
    const stats = second.engine.folderIndex(folder)!.cacheStats;
    expect(stats).toEqual({ hits: 5, misses: 0 });
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(folder)).sort()).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin', 'f4.bin']);
  });
});
