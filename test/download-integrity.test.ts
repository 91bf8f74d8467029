/**
 * Integrity of what a download puts on disk, against a member who crafts
 * content and a downloader whose share holds links (issue: wrong bytes under a
 * real name; writes outside the share). Real engines and real CLI processes
 * on 127.0.0.1, real files in temp folders.
 */
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../electron/engine/engine.js';
import { errorCode, errorMessage } from '../electron/engine/errors.js';
import { partialPathFor } from '../electron/engine/peer/piece-store.js';
import { collidingContents, sha256Hex } from './support/colliding-contents.js';
import { Fixtures, announced, eventually } from './support/fixtures.js';
import { CLI, SpawnedProcess, assertBuilt } from './support/processes.mjs';

const MiB = 1024 * 1024;
/** Names that agree on their first 180 characters, as the attack needs. */
const LONG_PREFIX = 'q'.repeat(180);
const fx = new Fixtures();
const procs: SpawnedProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await fx.cleanup();
});

async function listed(engine: Engine, name: string) {
  return eventually(async () => (await engine.list({ query: name.slice(-20) })).items.find((i) => i.name === name), 10_000, `${name} in listing`);
}

async function hiddenLeftovers(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).filter((n) => n.includes('.p2p-partial'));
}

describe('partial files belong to one content', () => {
  it('two crafted contents whose hashes share 8 hex digits, fetched at once into one folder, both arrive byte for byte', async () => {
    const { a, b, prefix } = collidingContents(8);
    const names = [`${LONG_PREFIX}-one.bin`, `${LONG_PREFIX}-two.bin`];
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    await writeFile(path.join(seeder.folder, names[0]!), a);
    await writeFile(path.join(seeder.folder, names[1]!), b);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    // Slow enough that the two downloads overlap from start to end.
    const leecher = await fx.peer(tracker.port, { downloadLimit: 8 * MiB });
    const items = await Promise.all(names.map((n) => listed(leecher.engine, n)));
    expect(items[0]!.hash.slice(0, 8)).toBe(prefix);
    expect(items[1]!.hash.slice(0, 8)).toBe(prefix);
    expect(items[0]!.hash).not.toBe(items[1]!.hash);

    const outcomes = await Promise.allSettled(items.map((item) => leecher.engine.fetch(item)));
    // First the integrity claim: whatever sits under a real name holds that name's bytes.
    const expected = [a, b];
    for (const [i, name] of names.entries()) {
      const bytes = await readFile(path.join(leecher.folder, name)).catch(() => undefined);
      if (bytes) expect(sha256Hex(bytes), `${name} holds the other file's pieces`).toBe(sha256Hex(expected[i]!));
    }
    // Then availability: both downloads complete.
    expect(outcomes.map((o) => o.status), outcomes.map((o) => (o.status === 'rejected' ? errorMessage(o.reason) : 'ok')).join('; ')).toEqual(['fulfilled', 'fulfilled']);
    expect(await hiddenLeftovers(leecher.folder)).toEqual([]);
    // Each content its own partial file, whatever the names.
    expect(partialPathFor(path.join(leecher.folder, names[0]!), items[0]!.hash)).not.toBe(partialPathFor(path.join(leecher.folder, names[1]!), items[1]!.hash));

  });

  it('downloads a file whose name is 255 bytes of non-ASCII (85 × 日)', async () => {
    const name = '日'.repeat(85);
    expect(Buffer.byteLength(name)).toBe(255);
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    const data = Buffer.alloc(3 * MiB + 5, 7);
    await writeFile(path.join(seeder.folder, name), data);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port);
    const finalPath = await leecher.engine.fetch(await listed(leecher.engine, name));
    expect(path.basename(finalPath)).toBe(name);
    expect(sha256Hex(await readFile(finalPath))).toBe(sha256Hex(data));
  });
});

describe('a download never leaves its folder', () => {
  it.each([
    ['a linked first folder', 'Documents/evil.txt', 'Documents'],
    ['a linked folder deeper down', 'Work/Documents/evil.txt', 'Work/Documents'],
  ])('refuses %s, writes nothing outside, and says why', async (_what, name, linked) => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    await mkdir(path.dirname(path.join(seeder.folder, name)), { recursive: true });
    await writeFile(path.join(seeder.folder, name), 'not for your home folder\n');
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);

    const leecherFolder = await fx.tempDir('p2p-share-');
    const elsewhere = await fx.tempDir('p2p-elsewhere-');
    await mkdir(path.dirname(path.join(leecherFolder, linked)), { recursive: true });
    await symlink(elsewhere, path.join(leecherFolder, linked));
    const leecher = await fx.peer(tracker.port, { folder: leecherFolder });
    const item = await listed(leecher.engine, name);
    const failure = await leecher.engine.fetch(item).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(errorCode(failure)).toBe('unsafe_path');
    expect(errorMessage(failure)).toMatch(/symbolic link/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe('the CLI, as real processes', () => {
  function spawn(script: string, args: string[], env: NodeJS.ProcessEnv): SpawnedProcess {
    const proc = SpawnedProcess.node(script, args, { env });
    procs.push(proc);
    return proc;
  }

  async function network(env: NodeJS.ProcessEnv, files: Record<string, Buffer>) {
    const tracker = spawn(CLI.tracker, ['-port', '0', '-host', '127.0.0.1'], env);
    const port = Number((await tracker.waitFor(/listening on \S+:(\d+)/))[1]);
    const share = await fx.tempDir('p2p-share-');
    for (const [name, data] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(share, name)), { recursive: true });
      await writeFile(path.join(share, name), data);
    }
    const seeder = spawn(CLI.client, ['-folder', share, '-port', '0', '-tracker', `127.0.0.1:${port}`], { ...env, P2P_DATA_DIR: await fx.tempDir('p2p-data-') });
    await seeder.waitFor(/sharing \d+ file/, 15_000);
    await seeder.waitFor(/connected to tracker/, 15_000, 'stderr');
    return { port };
  }

  async function env(): Promise<NodeJS.ProcessEnv> {
    const home = await fx.tempDir('p2p-home-');
    const vars: NodeJS.ProcessEnv = { HOME: home, USERPROFILE: home, P2P_KEY: Buffer.alloc(32, 9).toString('base64url') };
    return vars;
  }

  function get(e: NodeJS.ProcessEnv, folder: string, port: number, name: string, dataDir: string, extra: string[] = []): SpawnedProcess {
    return spawn(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${port}`, '-get', name, '-timeout', '20', ...extra], { ...e, P2P_DATA_DIR: dataDir });
  }

  it('two concurrent -get of crafted colliding contents into one folder each print verified and hold the right bytes', async () => {
    assertBuilt();
    const e = await env();
    const { a, b } = collidingContents(12);
    const names = [`${LONG_PREFIX}-one.bin`, `${LONG_PREFIX}-two.bin`];
    const { port } = await network(e, { [names[0]!]: a, [names[1]!]: b });
    const dest = await fx.tempDir('p2p-dest-');
    // Capped at 4 MiB/s each, so the two ~12 MiB downloads overlap for seconds.
    const gets = await Promise.all(names.map(async (n) => get(e, dest, port, n, await fx.tempDir('p2p-data-'), ['-limit-down', '4096'])));
    const codes = await Promise.all(gets.map((g) => g.exited));
    expect(codes, gets.map((g) => g.stdout + g.stderr).join('\n')).toEqual([0, 0]);
    expect(sha256Hex(await readFile(path.join(dest, names[0]!)))).toBe(sha256Hex(a));
    expect(sha256Hex(await readFile(path.join(dest, names[1]!)))).toBe(sha256Hex(b));
  });

  it('two concurrent -get of the same content into one folder: one downloads, the other is told who holds it, nothing is corrupt', async () => {
    assertBuilt();
    const e = await env();
    const data = Buffer.alloc(12 * MiB + 3, 1);
    for (let i = 0; i < data.length; i += 4096) data[i] = i & 0xff;
    const { port } = await network(e, { 'same.bin': data });
    const dest = await fx.tempDir('p2p-dest-');
    const first = get(e, dest, port, 'same.bin', await fx.tempDir('p2p-data-'), ['-limit-down', '4096']);
    await eventually(async () => (await hiddenLeftovers(dest)).length > 0, 15_000, 'first download started');
    const second = get(e, dest, port, 'same.bin', await fx.tempDir('p2p-data-'), ['-limit-down', '4096']);
    const [one, two] = await Promise.all([first.exited, second.exited]);
    expect(one, first.stdout + first.stderr).toBe(0);
    expect(two, second.stdout + second.stderr).not.toBe(0);
    expect(second.stderr).toMatch(/already being downloaded into .* by another process \(pid \d+\)/);
    expect(second.stderr).not.toMatch(/kept as/);
    expect(sha256Hex(await readFile(path.join(dest, 'same.bin')))).toBe(sha256Hex(data));
  });

  it('-get into a share whose subfolder is a link to elsewhere refuses, and nothing lands elsewhere', async () => {
    assertBuilt();
    const e = await env();
    const { port } = await network(e, { 'Documents/evil.txt': Buffer.from('surprise\n') });
    const share = await fx.tempDir('p2p-dest-');
    const elsewhere = await fx.tempDir('p2p-elsewhere-');
    await symlink(elsewhere, path.join(share, 'Documents'));
    const proc = get(e, share, port, 'Documents/evil.txt', await fx.tempDir('p2p-data-'));
    const code = await proc.exited;
    expect(code, proc.stdout + proc.stderr).not.toBe(0);
    expect(proc.stdout).not.toMatch(/done:/);
    expect(proc.stderr).toMatch(/refusing to save "Documents\/evil\.txt": Documents .*is a symbolic link/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe('cancel while pieces are being written', () => {
  it('cancelling an active download is clean: no TypeError, and the partial data is gone', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    await writeFile(path.join(seeder.folder, 'big-random.bin'), Buffer.alloc(48 * MiB, 3));
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    for (let round = 0; round < 3; round++) {
      const leecher = await fx.peer(tracker.port, { downloadLimit: 24 * MiB });
      const item = await listed(leecher.engine, 'big-random.bin');
      const download = leecher.engine.download(item);
      const running = download.run().then(
        () => 'finished',
        (err: unknown) => errorCode(err) ?? errorMessage(err),
      );
      await eventually(() => download.bytesDone > 2 * MiB, 15_000, 'some verified pieces');
      await expect(download.cancel({ deleteData: true })).resolves.toBeUndefined();
      expect(await running).toBe('cancelled');
      expect(download.state).toBe('cancelled');
      expect(await hiddenLeftovers(leecher.folder)).toEqual([]);
    }
  });
});
