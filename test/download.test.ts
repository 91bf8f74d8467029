import { existsSync } from 'node:fs';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../electron/engine/engine.js';
import { EngineError } from '../electron/engine/errors.js';
import { Download } from '../electron/engine/peer/download.js';
import { Fixtures, announced, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';

const MiB = 1024 * 1024;
const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function listed(engine: Engine, name: string) {
  return eventually(async () => (await engine.list({ query: name })).items.find((i) => i.name === name), 10_000, `${name} in listing`);
}

async function partials(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) if (String(entry).endsWith('.p2p-partial')) out.push(String(entry));
  return out;
}

describe('downloads', () => {
  it('fetches an empty file, a 100 MiB random file and a nested non-ASCII path, byte for byte', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    const files = { 'empty.dat': 0, 'big/random.bin': 100 * MiB, 'dossier/sous-dossier/naïve café – 日本.txt': 12_345 };
    const expected: Record<string, string> = {};
    for (const [name, size] of Object.entries(files)) expected[name] = sha256(await writeRandomFile(path.join(seeder.folder, name), size));
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port);
    await announced(leecher.engine);
    for (const name of Object.keys(files)) {
      const item = await listed(leecher.engine, name);
      const finalPath = await leecher.engine.fetch(item);
      expect(finalPath).toBe(path.join(leecher.folder, ...name.split('/')));
      expect(await sha256File(finalPath)).toBe(expected[name]);
      expect(leecher.engine.hasContent(item.hash)).toBe(true); // shared once downloaded
    }
    expect(await partials(leecher.folder)).toEqual([]);
    // The new copies are announced: each content now has two holders.
    await eventually(async () => (await leecher.engine.list()).items.every((i) => i.peers === 2), 10_000, 'two holders each');
  });

  it('detects a corrupt piece from a lying peer, bans it and heals from another peer', async () => {
    const tracker = await fx.tracker();
    const honestFolder = await fx.tempDir();
    const liarFolder = await fx.tempDir();
    const data = await writeRandomFile(path.join(honestFolder, 'movie.bin'), 24 * MiB);
    await writeFile(path.join(liarFolder, 'movie.bin'), data);
    // The honest peer's upload is capped so it cannot serve the whole file before the liar gets a turn.
    const honest = await fx.peer(tracker.port, { folder: honestFolder, uploadLimit: 12 * MiB });
    const liar = await fx.peer(tracker.port, { folder: liarFolder });
    // Now corrupt the liar's copy behind its index's back: same size and mtime, so it keeps announcing the old hash.
    const liarFile = path.join(liar.folder, 'movie.bin');
    const before = await stat(liarFile);
    const bad = Buffer.from(data);
    for (let i = 0; i < bad.length; i += MiB) bad[i + 77]! ^= 0xff;
    await writeFile(liarFile, bad);
    await utimes(liarFile, before.atime, before.mtime);
    await announced(honest.engine);
    await announced(liar.engine);

    const leecher = await fx.peer(tracker.port, { maxPeersPerDownload: 2 });
    const warnings: string[] = [];
    leecher.engine.on('warning', (w) => warnings.push(w));
    const item = await listed(leecher.engine, 'movie.bin');
    expect(item.peers).toBe(2);
    const download = leecher.engine.download(item);
    await download.run();
    expect(await sha256File(download.finalPath)).toBe(sha256(data));
    expect([...download.banned]).toEqual([liar.engine.peerId]);
    expect(warnings.some((w) => /corrupt piece/.test(w) && /banned/.test(w))).toBe(true);
    expect(download.bytesByPeer.get(honest.engine.peerId)).toBe(24 * MiB - (download.bytesByPeer.get(liar.engine.peerId) ?? 0));
    expect(download.bytesByPeer.get(liar.engine.peerId) ?? 0).toBe(0);
  });

  it('resumes an interrupted download without fetching verified pieces again', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port, { uploadLimit: 8 * MiB });
    const data = await writeRandomFile(path.join(seeder.folder, 'resume.bin'), 24 * MiB);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);

    const dataDir = await fx.tempDir();
    const first = await fx.peer(tracker.port, { dataDir });
    const item = await listed(first.engine, 'resume.bin');
    const download = first.engine.download(item);
    const running = download.run().catch((err: unknown) => err);
    await eventually(() => download.bytesDone >= 6 * MiB, 20_000, 'a quarter done');
    download.pause();
    const err = await running;
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('cancelled');
    expect(download.state).toBe('paused');
    expect(existsSync(download.finalPath)).toBe(false); // never visible under its real name before it is verified
    expect(await partials(first.folder)).toHaveLength(1);
    await first.engine.stop();

    // A fresh engine on the same data dir and folder: a restart.
    await new Promise((r) => setTimeout(r, 300)); // let requests in flight on the seeder drain
    const uploadedBefore = seeder.engine.uploadedBytes;
    const second = await fx.peer(tracker.port, { dataDir, folder: first.folder });
    const again = second.engine.download(item);
    await again.run();
    const fetchedAgain = seeder.engine.uploadedBytes - uploadedBefore;
    expect(await sha256File(again.finalPath)).toBe(sha256(data));
    expect(again.bytesByPeer.get(seeder.engine.peerId)).toBeLessThanOrEqual(18 * MiB);
    expect(fetchedAgain).toBeLessThanOrEqual(18 * MiB + 8 * MiB /* one pipeline of slack */);
    expect(await partials(first.folder)).toEqual([]);
  });

  it('goes stalled (not failed) when the only peer vanishes, keeps its pieces, and completes by itself when the seeder is back', async () => {
    const tracker = await fx.tracker();
    const seederData = await fx.tempDir('p2p-data-');
    const seeder = await fx.peer(tracker.port, { uploadLimit: 4 * MiB, dataDir: seederData });
    const data = await writeRandomFile(path.join(seeder.folder, 'lonely.bin'), 16 * MiB);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { stallPollMs: { min: 100, max: 400 } });
    const item = await listed(leecher.engine, 'lonely.bin');
    const download = leecher.engine.download(item);
    const states: string[] = [];
    download.on('progress', (p) => {
      if (states.at(-1) !== p.state) states.push(p.state);
    });
    const running = download.run();
    await eventually(() => download.bytesDone >= 3 * MiB, 20_000, 'some progress');
    await seeder.engine.stop();
    await eventually(() => download.state === 'stalled', 10_000, 'stalled');
    const kept = download.bytesDone;
    expect(kept).toBeGreaterThanOrEqual(3 * MiB);
    expect(download.progress()).toMatchObject({ state: 'stalled', downloadRate: 0, etaSeconds: null });
    expect(download.error).toBeUndefined();
    expect(existsSync(download.finalPath)).toBe(false);
    expect(await partials(leecher.folder)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 800)); // several lookups find nobody: still stalled, not failed
    expect(download.state).toBe('stalled');

    // The same seeder comes back on the same tracker: nobody calls retry.
    const back = await fx.peer(tracker.port, { folder: seeder.folder, dataDir: seederData });
    await back.engine.folderIndex(back.folder)!.idle();
    await announced(back.engine);
    const finalPath = await running;
    expect(await sha256File(finalPath)).toBe(sha256(data));
    expect(download.bytesByPeer.get(back.engine.peerId)).toBeLessThanOrEqual(16 * MiB - kept + 8 * MiB);
    expect(states).not.toContain('failed');
    expect(states.slice(states.indexOf('stalled'))).toEqual(['stalled', 'downloading', 'verifying', 'done']);
  }, 40_000);

  it('with a stall timeout (the CLI), fails with no_peers after it, naming the kept data in a human size', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port, { uploadLimit: 4 * MiB });
    await writeRandomFile(path.join(seeder.folder, 'gone.bin'), 12 * MiB);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { stallTimeoutMs: 600, stallPollMs: { min: 100, max: 200 } });
    const download = leecher.engine.download(await listed(leecher.engine, 'gone.bin'));
    const running = download.run().catch((e: unknown) => e);
    await eventually(() => download.bytesDone >= 2 * MiB, 20_000, 'some progress');
    await seeder.engine.stop();
    await eventually(() => download.state === 'stalled', 10_000, 'stalled');
    const err = (await running) as EngineError;
    expect(err.code).toBe('no_peers');
    expect(err.message).toMatch(/the \d+\.\d\d? MiB verified so far are kept for a later resume$/);
    expect(err.message).not.toMatch(/\d{6,} /);
    expect(download.state).toBe('failed');
    expect(await partials(leecher.folder)).toHaveLength(1);
  });

  it('with nothing verified, the no_peers message does not mention kept data', async () => {
    const tracker = await fx.tracker();
    const leecher = await fx.peer(tracker.port, { stallTimeoutMs: 200, stallPollMs: { min: 50, max: 100 } });
    const download = leecher.engine.download({ hash: 'ab'.repeat(32), name: 'nobody-has-it.bin', size: 10 });
    const err = (await download.run().catch((e: unknown) => e)) as EngineError;
    expect(err.code).toBe('no_peers');
    expect(err.message).toBe('no reachable peer has nobody-has-it.bin any more');
  });

  it('detects a file changed on the seeder after indexing, by hash', async () => {
    const tracker = await fx.tracker();
    const folder = await fx.tempDir();
    const file = path.join(folder, 'edited.txt');
    await writeRandomFile(file, 3 * MiB);
    const seeder = await fx.peer(tracker.port, { folder });
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { stallTimeoutMs: 300 });
    const item = await listed(leecher.engine, 'edited.txt');
    // Edit it in place keeping size and mtime, so nothing but the bytes differ.
    const st = await stat(file);
    await writeFile(file, Buffer.alloc(3 * MiB, 7));
    await utimes(file, st.atime, st.mtime);
    const err = (await leecher.engine.fetch(item).catch((e: unknown) => e)) as EngineError;
    expect(err).toBeInstanceOf(EngineError);
    expect(err.code).toBe('no_peers');
    expect(existsSync(path.join(leecher.folder, 'edited.txt'))).toBe(false);
    const [download] = leecher.engine.downloads();
    expect(download!.state).toBe('failed');
  });

  it('fails with disk_full on a full disk and keeps what was verified', async (ctx) => {
    const { execFileSync } = await import('node:child_process');
    const mount = await fx.tempDir('p2p-tiny-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount], { stdio: 'ignore' });
    } catch {
      ctx.skip('needs root to mount a 4 MiB tmpfs as a full disk');
    }
    fx.defer(() => execFileSync('umount', ['-l', mount], { stdio: 'ignore' }));
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    await writeRandomFile(path.join(seeder.folder, 'huge.bin'), 10 * MiB);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { folder: mount });
    const item = await listed(leecher.engine, 'huge.bin');
    const err = (await leecher.engine.fetch(item).catch((e: unknown) => e)) as EngineError;
    expect(err.code).toBe('disk_full');
    expect(err.message).toMatch(/full/);
    expect(existsSync(path.join(mount, 'huge.bin'))).toBe(false);
    expect(await partials(mount)).toHaveLength(1);
  });

  it('never overwrites an existing different file at the destination', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    await writeRandomFile(path.join(seeder.folder, 'clash.txt'), 1000);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port);
    await writeFile(path.join(leecher.folder, 'clash.txt'), 'mine, keep me');
    const item = await eventually(async () => (await leecher.engine.list({ query: 'clash' })).items.find((i) => i.size === 1000), 10_000);
    const err = (await leecher.engine.fetch(item).catch((e: unknown) => e)) as EngineError;
    expect(err.code).toBe('destination_exists');
    expect(await readFile(path.join(leecher.folder, 'clash.txt'), 'utf8')).toBe('mine, keep me');
  });

  it('with at most one piece waiting for the disk, requests resume as writes finish and the download completes', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    const content = await writeRandomFile(path.join(seeder.folder, 'paced.bin'), 24 * MiB + 7);
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port);
    const item = await listed(leecher.engine, 'paced.bin');
    // One piece may wait for the disk: once one does, no new request goes out until a write finishes
    // (requests already in flight, at most 8, still arrive).
    const download = new Download({
      hash: item.hash,
      name: item.name,
      destDir: leecher.folder,
      stateDir: await fx.tempDir(),
      self: { peerId: leecher.engine.peerId, listenPort: leecher.engine.port },
      findPeers: (hash) => leecher.engine.findPeers(hash),
      maxPiecesStoring: 1,
    });
    expect(await sha256File(await download.run())).toBe(sha256(content));
    expect(download.peakStoring).toBeLessThanOrEqual(1 + 8);
  });

  it('refuses to save under an unsafe name', async () => {
    for (const name of ['../escape.txt', '/etc/passwd', 'a/../../b', 'sub\\..\\x', 'CON']) {
      expect(
        () =>
          new Download({
            hash: 'a'.repeat(64),
            name,
            destDir: '/tmp',
            stateDir: '/tmp',
            self: { peerId: 'b'.repeat(32), listenPort: 0 },
            findPeers: async () => [],
          }),
      ).toThrow(/refusing to save/);
    }
  });
});
