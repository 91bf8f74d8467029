import { randomBytes } from 'node:crypto';
import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DhtDiscovery } from '../electron/engine/discovery/dht-discovery.js';
import { Engine } from '../electron/engine/engine.js';
import { parseNetworkKey } from '../electron/engine/security/network-key.js';
import { Fixtures, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { CLI, SpawnedProcess, assertBuilt } from './support/processes.mjs';

/** Fault tolerance and swarming with real processes on loopback, every connection over TLS. */
const MiB = 1024 * 1024;
const fx = new Fixtures();
const KEY_TEXT = randomBytes(32).toString('base64url');
const KEY = parseNetworkKey(KEY_TEXT);
beforeAll(() => assertBuilt());
afterEach(() => fx.cleanup());

async function trackerProcess(port = 0): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = SpawnedProcess.node(CLI.tracker, ['-port', String(port), '-host', '127.0.0.1', '-peer-timeout', '3'], { env: { P2P_KEY: KEY_TEXT, P2P_DATA_DIR: await fx.tempDir() } });
  fx.defer(() => proc.stop('SIGKILL'));
  return { proc, port: Number((await proc.waitFor(/listening on [^:]+:(\d+)/))[1]) };
}

async function seederProcess(folder: string, args: string[]): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = SpawnedProcess.node(CLI.client, ['-folder', folder, '-port', '0', ...args], { env: { P2P_KEY: KEY_TEXT, P2P_DATA_DIR: await fx.tempDir() } });
  fx.defer(() => proc.stop('SIGKILL'));
  return { proc, port: Number((await proc.waitFor(/listening on port (\d+)/))[1]) };
}

async function downloader(trackerPorts: number[], extra: Partial<ConstructorParameters<typeof Engine>[0]> = {}): Promise<{ engine: Engine; folder: string }> {
  return fx.peer(trackerPorts, { networkKey: KEY, listingRefreshMs: 200, sourceDiscoveryMs: 500, ...extra } as never);
}

describe('tracker failure', () => {
  it('kill -9 of the tracker mid-download: the download completes, a new one starts from the cached listing, and the listing is back soon after a restart', async () => {
    const tracker = await trackerProcess();
    const seed = await fx.tempDir();
    const big = await writeRandomFile(path.join(seed, 'big.bin'), 16 * MiB);
    const small = await writeRandomFile(path.join(seed, 'small.txt'), 5000);
    await seederProcess(seed, ['-tracker', `127.0.0.1:${tracker.port}`, '-limit-up', '4096']);
    const { engine } = await downloader([tracker.port]);
    await eventually(() => engine.cache.listing?.items.length === 2, 15_000, 'listing cached');

    const bigItem = engine.cache.listing!.items.find((i) => i.name === 'big.bin')!;
    const download = engine.download(bigItem);
    const running = engine.runDownload(download);
    await eventually(() => download.bytesDone >= 2 * MiB, 20_000, 'download under way');
    tracker.proc.kill('SIGKILL');
    await tracker.proc.exited;
    expect(await sha256File(await running)).toBe(sha256(big));

    const stale = await engine.list();
    expect(stale.stale).toBeDefined();
    expect(stale.items.map((i) => i.name).sort()).toEqual(['big.bin', 'small.txt']);
    const smallItem = stale.items.find((i) => i.name === 'small.txt')!;
    expect(await sha256File(await engine.fetch(smallItem))).toBe(sha256(small)); // peers from memory + peer exchange

    const restarted = await trackerProcess(tracker.port);
    const back = Date.now();
    await eventually(async () => {
      const page = await engine.list();
      return !page.stale && page.items.some((i) => i.name === 'big.bin');
    }, 15_000, 'listing back after restart');
    expect(Date.now() - back).toBeLessThan(12_000);
    expect(restarted.port).toBe(tracker.port);
  });

  it('two trackers, one killed: listing and downloads keep working', async () => {
    const a = await trackerProcess();
    const b = await trackerProcess();
    const seed = await fx.tempDir();
    const data = await writeRandomFile(path.join(seed, 'both.bin'), 3 * MiB);
    await seederProcess(seed, ['-tracker', `127.0.0.1:${a.port},127.0.0.1:${b.port}`]);
    const { engine } = await downloader([a.port, b.port]);
    await eventually(async () => (await engine.list()).items.length === 1, 15_000, 'listed');
    // The listing may come from the first tracker to answer; wait for the second too.
    await eventually(() => engine.trackers().every((t) => t.connected), 15_000, 'both trackers connected');
    a.proc.kill('SIGKILL');
    await a.proc.exited;
    await eventually(() => engine.trackers().filter((t) => t.connected).length === 1, 10_000, 'one tracker left');
    const page = await engine.list();
    expect(page.stale).toBeUndefined();
    expect(await sha256File(await engine.fetch(page.items[0]!))).toBe(sha256(data));
  });
});

describe('no tracker at all', () => {
  it('finds a file by hash on a private DHT of 20+ nodes and downloads it', async () => {
    const nodes: DhtDiscovery[] = [];
    const first = new DhtDiscovery({ port: 0, host: '127.0.0.1', bootstrap: false });
    const firstPort = await first.start();
    nodes.push(first);
    for (let i = 0; i < 19; i++) {
      const node = new DhtDiscovery({ port: 0, host: '127.0.0.1', bootstrap: [`127.0.0.1:${firstPort}`] });
      await node.start();
      nodes.push(node);
    }
    fx.defer(() => Promise.all(nodes.map((n) => n.stop())));
    const bootstrap = `127.0.0.1:${firstPort}`;
    const seed = await fx.tempDir();
    const data = await writeRandomFile(path.join(seed, 'dht only.bin'), 2 * MiB);
    await seederProcess(seed, ['-dht', '-bootstrap', bootstrap]);
    const { contentInfoOf } = await import('../electron/engine/core/content-hash.js');
    const hash = contentInfoOf(data).hash;
    const dest = await fx.tempDir();
    const get = SpawnedProcess.node(CLI.client, ['-folder', dest, '-port', '0', '-dht', '-bootstrap', bootstrap, '-get', hash, '-timeout', '20'], {
      env: { P2P_KEY: KEY_TEXT, P2P_DATA_DIR: await fx.tempDir() },
    });
    fx.defer(() => get.stop('SIGKILL'));
    await eventually(async () => {
      if (get.exitCode !== undefined) return true;
      return false;
    }, 40_000, 'the DHT-only -get to finish');
    expect(get.exitCode, get.stderr).toBe(0);
    expect(await sha256File(path.join(dest, 'dht only.bin'))).toBe(sha256(data));
  }, 60_000);
});

describe('many sources', () => {
  it('4 seeders and 1 downloader: all four are used', async () => {
    const tracker = await trackerProcess();
    const data = randomBytes(32 * MiB);
    for (let i = 0; i < 4; i++) {
      const folder = await fx.tempDir();
      await writeFile(path.join(folder, 'popular.bin'), data);
      await seederProcess(folder, ['-tracker', `127.0.0.1:${tracker.port}`, '-limit-up', '3072']);
    }
    const { engine } = await downloader([tracker.port], { maxPeersPerDownload: 4 });
    const item = await eventually(async () => (await engine.list()).items.find((i) => i.peers === 4), 15_000, 'four holders');
    const download = engine.download(item);
    expect(await sha256File(await engine.runDownload(download))).toBe(sha256(data));
    expect(download.bytesByPeer.size).toBe(4);
    for (const bytes of download.bytesByPeer.values()) expect(bytes).toBeGreaterThan(2 * MiB);
  });

  it('a seeder killed mid-transfer: the others take over its pieces', async () => {
    const tracker = await trackerProcess();
    const data = randomBytes(20 * MiB);
    const seeders: Array<Awaited<ReturnType<typeof seederProcess>>> = [];
    for (let i = 0; i < 3; i++) {
      const folder = await fx.tempDir();
      await writeFile(path.join(folder, 'shared.bin'), data);
      seeders.push(await seederProcess(folder, ['-tracker', `127.0.0.1:${tracker.port}`, '-limit-up', '2048']));
    }
    const { engine } = await downloader([tracker.port], { maxPeersPerDownload: 3 });
    const item = await eventually(async () => (await engine.list()).items.find((i) => i.peers === 3), 15_000, 'three holders');
    const download = engine.download(item);
    const running = engine.runDownload(download);
    await eventually(() => download.bytesByPeer.size === 3 && download.bytesDone >= 4 * MiB, 20_000, 'all three sending');
    seeders[0]!.proc.kill('SIGKILL');
    expect(await sha256File(await running)).toBe(sha256(data));
    const others = (await engine.findPeers(item.hash)).filter((p) => p.port !== seeders[0]!.port);
    expect(others.length).toBeGreaterThanOrEqual(2);
  });

  it('a lying seeder is caught and banned, and the file is still correct', async () => {
    const tracker = await trackerProcess();
    const data = randomBytes(12 * MiB);
    const honestDir = await fx.tempDir();
    const liarDir = await fx.tempDir();
    await writeFile(path.join(honestDir, 'movie.bin'), data);
    await writeFile(path.join(liarDir, 'movie.bin'), data);
    await seederProcess(honestDir, ['-tracker', `127.0.0.1:${tracker.port}`, '-limit-up', '4096']);
    const liar = await seederProcess(liarDir, ['-tracker', `127.0.0.1:${tracker.port}`]);
    // The liar's bytes change behind its index's back (same size and mtime): it keeps announcing the old hash.
    const file = path.join(liarDir, 'movie.bin');
    const st = await stat(file);
    const bad = Buffer.from(data);
    for (let i = 0; i < bad.length; i += MiB) bad[i + 5]! ^= 0x55;
    await writeFile(file, bad);
    await utimes(file, st.atime, st.mtime);
    const { engine } = await downloader([tracker.port], { maxPeersPerDownload: 2 });
    const warnings: string[] = [];
    engine.on('warning', (w) => warnings.push(w));
    const item = await eventually(async () => (await engine.list()).items.find((i) => i.peers === 2), 15_000, 'two holders');
    const liarId = (await engine.findPeers(item.hash)).find((p) => p.port === liar.port)!.peerId;
    const download = engine.download(item);
    expect(await sha256File(await engine.runDownload(download))).toBe(sha256(data));
    expect([...download.banned]).toEqual([liarId]);
    expect(warnings.some((w) => w.includes(liarId.slice(0, 8)) && /banned/.test(w))).toBe(true);
  });

  it('1 seeder and 8 simultaneous downloaders: the downloaders trade pieces among themselves', async () => {
    const tracker = await trackerProcess();
    const seed = await fx.tempDir();
    const data = await writeRandomFile(path.join(seed, 'release.iso'), 16 * MiB);
    await seederProcess(seed, ['-tracker', `127.0.0.1:${tracker.port}`, '-limit-up', '4096']);
    const peers: Array<Awaited<ReturnType<typeof downloader>>> = [];
    for (let i = 0; i < 8; i++) peers.push(await downloader([tracker.port], { maxPeersPerDownload: 6 }));
    const item = await eventually(async () => (await peers[0]!.engine.list()).items.find((i) => i.name === 'release.iso'), 15_000, 'listed');
    const started = Date.now();
    const results = await Promise.all(peers.map(({ engine }) => engine.fetch(item)));
    const seconds = (Date.now() - started) / 1000;
    for (const p of results) expect(await sha256File(p)).toBe(sha256(data));
    const uploadedByDownloaders = peers.reduce((sum, { engine }) => sum + engine.uploadedBytes, 0);
    // Without trading, the seeder alone would send 8 × 16 MiB at 4 MiB/s (32 s).
    expect(uploadedByDownloaders).toBeGreaterThan(32 * MiB);
    expect(peers.filter(({ engine }) => engine.uploadedBytes > 0).length).toBeGreaterThanOrEqual(6);
    console.log(`swarm: 8 × 16 MiB in ${seconds.toFixed(1)} s; downloaders uploaded ${(uploadedByDownloaders / MiB).toFixed(0)} MiB to each other`);
  }, 60_000);
});

