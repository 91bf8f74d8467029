/**
 * What `p2pclient` says to a person, as a real process: plurals, sizes in the
 * one shared format, a missing folder in words, a hash prefix too short.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatBytes as cliFormatBytes } from '../electron/cli/format.js';
import { formatBytes as uiFormatBytes } from '../renderer/src/format.js';
import { CLI, SpawnedProcess, assertBuilt } from './support/processes.mjs';

let tmp = '';
let env: NodeJS.ProcessEnv = {};
const procs: SpawnedProcess[] = [];

function start(script: string, args: string[]): SpawnedProcess {
  const proc = SpawnedProcess.node(script, args, { env });
  procs.push(proc);
  return proc;
}

/** Runs to its exit, bounded; a hang fails the test with the output so far. */
async function run(args: string[], timeoutMs = 20_000): Promise<SpawnedProcess> {
  const proc = start(CLI.client, args);
  await proc.waitForExit(timeoutMs);
  return proc;
}

async function folder(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) await writeFile(path.join(dir, rel), content);
  return dir;
}

async function tracker(): Promise<number> {
  const proc = start(CLI.tracker, ['-port', '0', '-host', '127.0.0.1']);
  return Number((await proc.waitFor(/listening on [^:]+:(\d+)/))[1]);
}

beforeAll(assertBuilt);
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'p2p-cli-messages-'));
  env = { P2P_DATA_DIR: path.join(tmp, 'data'), HOME: path.join(tmp, 'home'), P2P_KEY: randomBytes(32).toString('base64url'), NODE_OPTIONS: '' };
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await rm(tmp, { recursive: true, force: true });
});

describe('p2pclient messages', () => {
  it('the CLI and the UI format a size the same way (three significant digits)', () => {
    for (const n of [0, 1023, 1024, 5_000_000, 12.34 * 2 ** 20, 140 * 2 ** 30, 2 ** 20 - 1]) expect(cliFormatBytes(n)).toBe(uiFormatBytes(n));
    expect(cliFormatBytes(5_000_000)).toBe('4.77 MiB');
  });

  it('says "1 file", lists sizes as the UI does, and calls a too-short hash prefix too short', async () => {
    const port = await tracker();
    const shared = await folder('A', { 'five-million.bin': randomBytes(5_000_000) });
    const seeder = start(CLI.client, ['-folder', shared, '-port', '0', '-tracker', `127.0.0.1:${port}`]);
    await seeder.waitFor(/connected to tracker/, 15_000, 'stderr');
    expect(seeder.stdout).toMatch(/^sharing 1 file \(4\.77 MiB\) from /m);

    const list = await run(['-tracker', `127.0.0.1:${port}`, '-list', '-timeout', '5']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^\s*4\.77 MiB\s+1\s+[0-9a-f]{12}\s+five-million\.bin$/m);
    expect(list.stdout).toMatch(/^1 file$/m);

    const get = await run(['-folder', await folder('B', {}), '-port', '0', '-tracker', `127.0.0.1:${port}`, '-get', '2', '-timeout', '5']);
    expect(get.exitCode).not.toBe(0);
    expect(get.stderr).toMatch(/too short: give at least 4 hex digits/);
    expect(get.stderr).toMatch(/^p2pclient: hint: try -list to see what is shared/m); // the CLI's advice, not the engine's
    expect(get.stderr).not.toMatch(/nobody on the network has "2"/);
  }, 45_000);

  it('a -folder that does not exist is named, in words, without the raw errno', async () => {
    const r = await run(['-folder', path.join(tmp, 'does/not/exist'), '-port', '0', '-tracker', '127.0.0.1:1'], 10_000);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(`${path.join(tmp, 'does/not/exist')}: that folder does not exist`);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });
});

describe('p2pclient -get when its only peer leaves', () => {
  it('waits stalled up to -timeout, then exits with a clear error naming the kept data in a human size', async () => {
    const port = await tracker();
    const shared = await folder('A', { 'leaves.bin': randomBytes(12 * 1024 * 1024) });
    const seeder = start(CLI.client, ['-folder', shared, '-port', '0', '-tracker', `127.0.0.1:${port}`, '-limit-up', '2048']);
    await seeder.waitFor(/connected to tracker/, 15_000, 'stderr');
    const get = start(CLI.client, ['-folder', await folder('B', {}), '-port', '0', '-tracker', `127.0.0.1:${port}`, '-get', 'leaves.bin', '-timeout', '3']);
    await get.waitFor(/progress leaves\.bin: +\d+% {2}[1-9]/, 20_000);
    seeder.kill('SIGTERM');
    const leftAt = Date.now();
    await get.waitFor(/stalled/, 10_000);
    const { code } = await get.waitForExit(15_000);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(2500); // it waited, stalled, for the peer to come back
    expect(get.stderr).toMatch(/no reachable peer has leaves\.bin any more; the \d+(\.\d+)? MiB verified so far are kept for a later resume/);
  }, 45_000);
});
