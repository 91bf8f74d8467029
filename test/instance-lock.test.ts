import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceLock } from '../electron/engine/instance-lock.js';
import { Fixtures } from './support/fixtures.js';
import { DIST, SpawnedProcess, assertBuilt } from './support/processes.mjs';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'p2p-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const lockFile = (dir: string) => path.join(dir, 'instance.lock');

describe('InstanceLock', () => {
  it('is held once at a time and free again once released', async () => {
    const dir = await tempDir();
    const first = await InstanceLock.acquire(dir);
    if (!('lock' in first)) throw new Error(`expected the lock, got ${JSON.stringify(first)}`);
    expect(await InstanceLock.acquire(dir)).toEqual({ heldBy: process.pid }); // a second engine in this process
    await first.lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    const again = await InstanceLock.acquire(dir);
    expect('lock' in again).toBe(true);
  });

  it('takes over a lock left by a process that died, and one whose pid now belongs to another process', async () => {
    const dir = await tempDir();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now
    await writeFile(lockFile(dir), `${gone} 123\n`);
    expect('lock' in (await InstanceLock.acquire(dir))).toBe(true);

    // Our parent is alive, but it is not the process that wrote this lock: its start time differs.
    const reused = await tempDir();
    await writeFile(lockFile(reused), `${process.ppid} 1\n`);
    expect('lock' in (await InstanceLock.acquire(reused))).toBe(true);

    // A lock naming this very process that this process does not hold (pid 1 after a container restart).
    const own = await tempDir();
    await writeFile(lockFile(own), `${process.pid}\n`);
    expect('lock' in (await InstanceLock.acquire(own))).toBe(true);
  });

  it('keeps a live holder, and release() leaves a lock that is not its own', async () => {
    const dir = await tempDir();
    const mine = await InstanceLock.acquire(dir);
    if (!('lock' in mine)) throw new Error('expected the lock');
    // Someone replaced it (say, after taking it over); our release must not remove theirs.
    await writeFile(lockFile(dir), `${process.ppid}\n`);
    await mine.lock.release();
    expect(await readFile(lockFile(dir), 'utf8')).toBe(`${process.ppid}\n`);
    expect(await InstanceLock.acquire(dir)).toEqual({ heldBy: process.ppid });
  });

  it('lets exactly one of several processes starting at once hold it', async () => {
    assertBuilt();
    const dir = await tempDir();
    const script = `import { InstanceLock } from ${JSON.stringify(path.join(DIST, 'electron/engine/instance-lock.js'))};
      const r = await InstanceLock.acquire(${JSON.stringify(dir)});
      console.log(Object.keys(r)[0]);
      setTimeout(() => {}, 1500);`;
    // A stale lock to fight over, too.
    await writeFile(lockFile(dir), `${spawnSync(process.execPath, ['-e', '0']).pid} 1\n`);
    const results = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const child = SpawnedProcess.spawn(process.execPath, ['--input-type=module', '-e', script], { label: 'InstanceLock.acquire' });
        await child.waitForExit(20_000);
        return child.stdout.trim();
      }),
    );
    expect(results.filter((r) => r === 'lock')).toHaveLength(1);
    expect(results.filter((r) => r === 'heldBy')).toHaveLength(5);
  });

  it('goes on without a lock on a read-only data dir', async (ctx) => {
    const dir = await tempDir();
    const ro = path.join(dir, 'ro');
    await mkdir(ro);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { stdio: 'ignore' });
    } catch {
      ctx.skip('needs root to mount a read-only tmpfs');
    }
    try {
      const result = await InstanceLock.acquire(ro);
      expect(result).toMatchObject({ unlocked: expect.stringMatching(/not writable \(EROFS\)/) });
    } finally {
      execFileSync('umount', ['-l', ro], { stdio: 'ignore' });
    }
  });
});

describe('two engines on one data dir', () => {
  const fx = new Fixtures();
  afterEach(() => fx.cleanup());

  it('the second runs under a temporary identity, and a failed start leaves the lock free', async () => {
    const tracker = await fx.tracker();
    const dataDir = await fx.tempDir('p2p-data-');
    const first = await fx.peer(tracker.port, { dataDir });
    const second = await fx.peer(tracker.port, { dataDir });
    expect(second.engine.peerId).not.toBe(first.engine.peerId);
    // The first keeps its identity across a restart.
    const id = first.engine.peerId;
    await first.engine.stop();
    await first.engine.start();
    expect(first.engine.peerId).toBe(id);
    await first.engine.stop();
    await second.engine.stop();

    // A start that fails (a missing folder) must not keep the lock: the next start gets the stored identity.
    await expect(fx.peer(tracker.port, { dataDir, folder: path.join(dataDir, 'no-such-folder') })).rejects.toThrow();
    const third = await fx.peer(tracker.port, { dataDir });
    expect(third.engine.peerId).toBe(id);
  });
});
