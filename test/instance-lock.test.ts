import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InstanceLock } from '../electron/engine/instance-lock.js';
import { Fixtures } from './support/fixtures.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'p2p-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('InstanceLock', () => {
  it('is held by one process at a time and free again once released', async () => {
    const dir = await tempDir();
    const first = await InstanceLock.acquire(dir);
    expect(first).toBeInstanceOf(InstanceLock);
    expect(await InstanceLock.acquire(dir)).toEqual({ heldBy: process.pid });
    await (first as InstanceLock).release();
    expect(existsSync(path.join(dir, 'instance.lock'))).toBe(false);
    expect(await InstanceLock.acquire(dir)).toBeInstanceOf(InstanceLock);
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited by now
    await writeFile(path.join(dir, 'instance.lock'), `${gone}\n`);
    expect(await InstanceLock.acquire(dir)).toBeInstanceOf(InstanceLock);
  });
});

describe('two engines on one data dir', () => {
  const fx = new Fixtures();
  afterEach(() => fx.cleanup());

  it('the second runs under a temporary identity, so the two never share a peer id', async () => {
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
  });
});
