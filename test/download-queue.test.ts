import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../electron/engine/errors.js';
import type { Engine } from '../electron/engine/engine.js';
import { MAX_ACTIVE_DOWNLOADS } from '../electron/engine/peer/download-queue.js';
import { AppHost } from '../electron/host/app-host.js';
import { browserIntegration } from '../electron/host/desktop-integration.js';
import type { DownloadProgress } from '../shared/types.js';
import { announced, eventually, Fixtures, sha256, sha256File, testSettings, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const MiB = 1024 * 1024;

async function seed(trackerPort: number, files: Record<string, number>, uploadLimit = 0) {
  const seeder = await fx.peer(trackerPort, { uploadLimit });
  const data: Record<string, Buffer> = {};
  for (const [name, size] of Object.entries(files)) data[name] = await writeRandomFile(path.join(seeder.folder, name), size);
  await seeder.engine.folderIndex(seeder.folder)!.idle();
  await announced(seeder.engine);
  return { ...seeder, data };
}

async function listedItem(engine: Engine, name: string) {
  return eventually(async () => (await engine.list({ query: name })).items.find((i) => i.name === name), 10_000, `${name} listed`);
}

const running = (rows: DownloadProgress[]) => rows.filter((r) => r.state === 'connecting' || r.state === 'downloading' || r.state === 'verifying').length;

describe('the download queue (engine-side, by content hash)', () => {
  it(`runs at most ${MAX_ACTIVE_DOWNLOADS} at once, the rest wait as queued, and all finish`, async () => {
    const tracker = await fx.tracker();
    const names = ['q1.bin', 'q2.bin', 'q3.bin', 'q4.bin', 'q5.bin'];
    const seeder = await seed(tracker.port, Object.fromEntries(names.map((n) => [n, 2 * MiB])), 4 * MiB);
    const leecher = await fx.peer(tracker.port);
    const batches: DownloadProgress[][] = [];
    leecher.engine.on('downloads', (rows) => batches.push(rows));
    for (const name of names) await leecher.engine.startDownload(await listedItem(leecher.engine, name));
    let peak = 0;
    let sawQueued = false;
    await eventually(() => {
      const rows = leecher.engine.downloads();
      peak = Math.max(peak, running(rows));
      sawQueued ||= rows.some((r) => r.state === 'queued');
      return rows.every((r) => r.state === 'done');
    }, 30_000, 'all done');
    expect(peak).toBeLessThanOrEqual(MAX_ACTIVE_DOWNLOADS);
    expect(peak).toBeGreaterThan(1);
    expect(sawQueued).toBe(true);
    for (const name of names) expect(await sha256File(path.join(leecher.folder, name))).toBe(sha256(seeder.data[name]!));
    // The rows leave the engine in batches, each naming a row at most once.
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expect(new Set(batch.map((r) => r.hash)).size).toBe(batch.length);
  });

  it('keeps its list on disk: after a restart a finished download stays done, a paused one paused, an unfinished one resumes', async () => {
    const tracker = await fx.tracker();
    const seeder = await seed(tracker.port, { 'done.bin': 1 * MiB, 'paused.bin': 8 * MiB, 'resumed.bin': 8 * MiB }, 2 * MiB);
    const folder = await fx.tempDir('p2p-share-');
    const dataDir = await fx.tempDir('p2p-data-');
    const listFile = path.join(dataDir, 'downloads.json');
    const first = await fx.peer(tracker.port, { folder, dataDir, downloadList: listFile });
    const done = await listedItem(first.engine, 'done.bin');
    const paused = await listedItem(first.engine, 'paused.bin');
    const resumed = await listedItem(first.engine, 'resumed.bin');
    await first.engine.startDownload(done);
    await eventually(() => first.engine.downloads().find((d) => d.hash === done.hash)?.state === 'done', 20_000, 'first done');
    await first.engine.startDownload(paused);
    await first.engine.startDownload(resumed);
    await first.engine.pauseDownload(paused.hash);
    await first.engine.stop(); // resolves once every transfer has closed its files
    expect((await readdir(folder)).filter((name) => name.endsWith('.lock'))).toEqual([]);

    const saved = JSON.parse(await readFile(listFile, 'utf8')) as { downloads: Array<{ hash: string; paused: boolean; done: boolean }> };
    expect(saved.downloads.map((d) => [d.hash, d.paused, d.done])).toEqual([
      [done.hash, false, true],
      [paused.hash, true, false],
      [resumed.hash, false, false],
    ]);

    const second = await fx.peer(tracker.port, { folder, dataDir, downloadList: listFile });
    const states = () => Object.fromEntries(second.engine.downloads().map((d) => [d.name, d.state]));
    expect(states()).toMatchObject({ 'done.bin': 'done', 'paused.bin': 'paused' });
    await eventually(() => states()['resumed.bin'] === 'done', 30_000, 'resumed download done');
    expect(states()['paused.bin']).toBe('paused');
    expect(await sha256File(path.join(folder, 'resumed.bin'))).toBe(sha256(seeder.data['resumed.bin']!));
  });

  it('cancel and remove are events of their own; removing a running download is refused as invalid_state', async () => {
    const tracker = await fx.tracker();
    await seed(tracker.port, { 'slow.bin': 16 * MiB, 'small.bin': 64 * 1024 }, 1 * MiB);
    const leecher = await fx.peer(tracker.port);
    const removed: string[] = [];
    leecher.engine.on('download-removed', (hash) => removed.push(hash));
    const slow = await listedItem(leecher.engine, 'slow.bin');
    const small = await listedItem(leecher.engine, 'small.bin');
    await leecher.engine.startDownload(slow);
    await leecher.engine.startDownload(small);
    // Starting the same content again returns the row in the list, not a second download.
    expect((await leecher.engine.startDownload(slow)).hash).toBe(slow.hash);
    expect(leecher.engine.downloads()).toHaveLength(2);

    await eventually(() => leecher.engine.downloads().find((d) => d.hash === slow.hash)?.state === 'downloading', 10_000, 'slow running');
    const refusal = await leecher.engine.removeDownload(slow.hash).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(EngineError);
    expect((refusal as EngineError).code).toBe('invalid_state');

    await eventually(() => leecher.engine.downloads().find((d) => d.hash === small.hash)?.state === 'done', 10_000, 'small done');
    await leecher.engine.removeDownload(small.hash);
    await leecher.engine.cancelDownload(slow.hash, { deleteData: true });
    expect(removed).toEqual([small.hash, slow.hash]);
    expect(leecher.engine.downloads()).toEqual([]);
    expect(existsSync(path.join(leecher.folder, 'small.bin'))).toBe(true); // remove keeps the file
    const missing = await leecher.engine.pauseDownload(slow.hash).catch((e: unknown) => e);
    expect((missing as EngineError).code).toBe('not_found');
  });

  it('a download removed the moment it finishes is gone for good: no refusal, and its resume record does not come back', async () => {
    const tracker = await fx.tracker();
    await seed(tracker.port, { 'quick.bin': 256 * 1024 });
    const dataDir = await fx.tempDir('p2p-data-');
    const listFile = path.join(dataDir, 'downloads.json');
    const leecher = await fx.peer(tracker.port, { dataDir, downloadList: listFile });
    const quick = await listedItem(leecher.engine, 'quick.bin');
    // Removed from inside the event that says it finished: the run's own bookkeeping is not over then.
    const removal = new Promise<unknown>((resolve) => {
      leecher.engine.on('download-finished', ({ hash }) => {
        if (hash === quick.hash) resolve(leecher.engine.removeDownload(quick.hash).then(() => 'removed', (e: unknown) => e));
      });
    });
    await leecher.engine.startDownload(quick);
    expect(await removal).toBe('removed');
    expect(leecher.engine.downloads()).toEqual([]);
    await leecher.engine.stop();
    const saved = JSON.parse(await readFile(listFile, 'utf8')) as { downloads: Array<{ hash: string }> };
    expect(saved.downloads.map((d) => d.hash)).toEqual([]);
  });

  it('a finished download whose file is deleted leaves the list with a removed event', async () => {
    const tracker = await fx.tracker();
    await seed(tracker.port, { 'gone-soon.bin': 256 * 1024 });
    const leecher = await fx.peer(tracker.port, { usePolling: true });
    const item = await listedItem(leecher.engine, 'gone-soon.bin');
    const removed: string[] = [];
    leecher.engine.on('download-removed', (hash) => removed.push(hash));
    const finished = new Promise((resolve) => leecher.engine.once('download-finished', resolve));
    await leecher.engine.startDownload(item);
    expect(await finished).toMatchObject({ hash: item.hash, path: path.join(leecher.folder, 'gone-soon.bin') });
    await (await import('node:fs/promises')).rm(path.join(leecher.folder, 'gone-soon.bin'));
    await leecher.engine.checkFinishedDownloads();
    expect(removed).toEqual([item.hash]);
    expect(leecher.engine.downloads()).toEqual([]);
  });
});

describe('the app host and the queue', () => {
  it('moves a download list kept in an older settings.json into the engine’s downloads.json', async () => {
    const tracker = await fx.tracker();
    const seeder = await seed(tracker.port, { 'legacy.bin': 512 * 1024 });
    const folder = await fx.tempDir('p2p-share-');
    const dataDir = await fx.tempDir('p2p-data-');
    const item = await listedItem(seeder.engine, 'legacy.bin');
    await writeFile(path.join(folder, 'legacy.bin'), seeder.data['legacy.bin']!);
    const settings = testSettings(folder, [`127.0.0.1:${tracker.port}`]);
    await mkdir(dataDir, { recursive: true });
    await writeFile(
      path.join(dataDir, 'settings.json'),
      JSON.stringify({ version: 1, settings, folders: [folder], downloads: [{ hash: item.hash, name: 'legacy.bin', size: item.size, destDir: folder, paused: false, done: true }] }),
    );
    const host = new AppHost({ dataDir, integration: browserIntegration, version: 'test', defaults: { settings, folders: [folder] }, bindHost: '127.0.0.1', networkKey: null });
    await host.start();
    fx.defer(() => host.stop());
    expect(host.snapshot().downloads).toMatchObject([{ hash: item.hash, name: 'legacy.bin', state: 'done' }]);
    const settingsFile = JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(settingsFile).not.toHaveProperty('downloads');
    const list = JSON.parse(await readFile(path.join(dataDir, 'downloads.json'), 'utf8')) as { downloads: Array<{ hash: string; done: boolean }> };
    expect(list.downloads).toMatchObject([{ hash: item.hash, done: true }]);
  });
});
