import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Fixtures, announced, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { CLI, SpawnedProcess, assertBuilt } from './support/processes.mjs';

const MiB = 1024 * 1024;
const fx = new Fixtures();
afterEach(() => fx.cleanup());
beforeAll(() => assertBuilt());

async function seederProcess(trackerPort: number, folder: string, dataDir: string, limitKiB: number): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = SpawnedProcess.node(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, '-limit-up', String(limitKiB), '-open'], {
    env: { P2P_DATA_DIR: dataDir },
  });
  fx.defer(() => proc.stop('SIGKILL'));
  const port = Number((await proc.waitFor(/listening on port (\d+)/))[1]);
  return { proc, port };
}

describe('peers killed mid-transfer (real processes)', () => {
  it('continues from another peer when the serving peer is killed with SIGKILL', async () => {
    const tracker = await fx.tracker();
    const source = await fx.tempDir();
    const data = await writeRandomFile(path.join(source, 'shared.bin'), 16 * MiB);
    const seeders = [];
    for (let i = 0; i < 2; i++) {
      const folder = await fx.tempDir();
      await writeFile(path.join(folder, 'shared.bin'), data);
      seeders.push(await seederProcess(tracker.port, folder, await fx.tempDir(), 4096));
    }
    const leecher = await fx.peer(tracker.port, { maxPeersPerDownload: 1 });
    await announced(leecher.engine);
    const item = await eventually(async () => (await leecher.engine.list()).items.find((i) => i.peers === 2), 15_000, 'both seeders listed');
    const download = leecher.engine.download(item);
    const running = download.run();
    await eventually(() => download.bytesDone >= 3 * MiB, 20_000, 'a few MiB');
    const [servingId] = [...download.bytesByPeer.keys()];
    const holders = await leecher.engine.findPeers(item.hash);
    const servingPort = holders.find((h) => h.peerId === servingId)!.port;
    const victim = seeders.find((s) => s.port === servingPort)!;
    victim.proc.kill('SIGKILL');
    await victim.proc.exited;
    await running;
    expect(await sha256File(download.finalPath)).toBe(sha256(data));
    expect(download.bytesByPeer.size).toBe(2); // both peers contributed
    for (const bytes of download.bytesByPeer.values()) expect(bytes).toBeGreaterThan(0);
  });

  it('resumes a -get killed with SIGKILL from the verified pieces on disk', async () => {
    const tracker = await fx.tracker();
    const seedFolder = await fx.tempDir();
    const data = await writeRandomFile(path.join(seedFolder, 'video.bin'), 16 * MiB);
    await seederProcess(tracker.port, seedFolder, await fx.tempDir(), 4096);
    const dest = await fx.tempDir();
    const dataDir = await fx.tempDir();
    const args = ['-folder', dest, '-port', '0', '-tracker', `127.0.0.1:${tracker.port}`, '-get', 'video.bin', '-open'];
    const first = SpawnedProcess.node(CLI.client, args, { env: { P2P_DATA_DIR: dataDir } });
    fx.defer(() => first.stop('SIGKILL'));
    // Pieces arrive in random order, so the partial file's size says little: count the
    // pieces the resume record marks as verified (it is on disk before the kill).
    const recordedPieces = async () => {
      for (const entry of await readdir(dataDir, { recursive: true })) {
        if (!String(entry).endsWith('.json') || !String(entry).includes('downloads')) continue;
        const record = JSON.parse(await readFile(path.join(dataDir, String(entry)), 'utf8').catch(() => '{}')) as { have?: string };
        if (record.have) return [...Buffer.from(record.have, 'base64')].reduce((n, byte) => n + popcount(byte), 0);
      }
      return 0;
    };
    await eventually(async () => (await recordedPieces()) >= 5, 20_000, 'resume record with 5 verified pieces');
    first.kill('SIGKILL');
    await first.exited;
    expect(existsSync(path.join(dest, 'video.bin'))).toBe(false);

    const second = SpawnedProcess.node(CLI.client, args, { env: { P2P_DATA_DIR: dataDir } });
    fx.defer(() => second.stop('SIGKILL'));
    const resumed = Number((await second.waitFor(/resuming with (\d+) verified pieces/, 15_000, 'stderr'))[1]);
    expect(resumed).toBeGreaterThanOrEqual(4);
    expect(await second.exited).toBe(0);
    expect(await sha256File(path.join(dest, 'video.bin'))).toBe(sha256(data));
    expect((await readdir(dest)).filter((n) => n.endsWith('.p2p-partial'))).toEqual([]);
  });
});

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b; b &= b - 1) n++;
  return n;
}
