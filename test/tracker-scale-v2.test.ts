import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatNetworkKey, generateNetworkKey } from '../electron/engine/security/network-key.js';
import { CLI, CliScratch, ROOT, SpawnedProcess, assertBuilt } from './support/processes.mjs';

/**
 * Protocol v2 at twice the old hard cap (10,000 sessions), with real processes: one p2ptracker,
 * the load generator of `npm run bench` (bench/tracker-scale.mjs) with 20,000 simulated members
 * × 10 files from 1,024 loopback addresses, and real p2pclient processes beside them. Correctness
 * and bounded time are asserted here; speed is the benchmark's business.
 */
const PEERS = 20_000;
const FILES = 10;
const GENERATOR = path.join(ROOT, 'bench/tracker-scale.mjs');

const scratch = new CliScratch('p2p-scale-v2-');
beforeAll(() => assertBuilt());
afterEach(() => scratch.cleanup());

describe('one tracker, protocol v2, at twice the old cap', () => {
  it(`holds ${PEERS.toLocaleString('en-US')} members × ${FILES} files with correct answers, while real clients list and download`, async () => {
    const dir = await scratch.temp();
    const keyfile = path.join(dir, 'network.key');
    await writeFile(keyfile, `${formatNetworkKey(generateNetworkKey())}\n`, { mode: 0o600 });
    const env = { P2P_KEY: '', P2P_DATA_DIR: path.join(dir, 'tracker-data') };
    const tracker = scratch.track(SpawnedProcess.node(CLI.tracker, ['-port', '0', '-host', '127.0.0.1', '-quiet', '-keyfile', keyfile, '-max-files', '1000000'], { env }));
    const port = Number((await tracker.waitFor(/listening on [^:]+:(\d+)/, 20_000, 'output'))[1]);
    const address = `127.0.0.1:${port}`;

    const generator = scratch.track(
      SpawnedProcess.node(GENERATOR, ['-tracker', address, '-keyfile', keyfile, '-peers', String(PEERS), '-files-per-peer', String(FILES), '-seconds', '4', '-json'], { label: 'tracker-scale' }),
    );
    await generator.waitFor(new RegExp(`^ready ${PEERS}$`, 'm'), 120_000, 'stdout');

    // While the generator's members heartbeat and look up: a real seeder joins, and its file is listed and fetched.
    const share = await scratch.temp();
    await writeFile(path.join(share, 'among-twenty-thousand.txt'), 'found in the crowd\n');
    const seeder = scratch.track(SpawnedProcess.node(CLI.client, ['-folder', share, '-port', '0', '-tracker', address, '-keyfile', keyfile], { env: { P2P_KEY: '', P2P_DATA_DIR: path.join(dir, 'seeder-data') } }));
    await seeder.waitFor(/connected to tracker/, 20_000, 'stderr');
    let listed = '';
    const interval = 4000; // 20,000 members → 4 s: the tracker's shortest interval still applies
    const deadline = Date.now() + interval + 6000;
    for (;;) {
      const started = Date.now();
      const list = scratch.track(SpawnedProcess.node(CLI.client, ['-tracker', address, '-list', '-keyfile', keyfile], { env: { P2P_KEY: '', P2P_DATA_DIR: path.join(dir, 'lister-data') } }));
      expect((await list.waitForExit(10_000)).code).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000); // includes Node's start; the 2 s is the tracker's answer
      listed = list.stdout;
      if (listed.includes('among-twenty-thousand.txt') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(listed).toContain('among-twenty-thousand.txt');
    const into = await scratch.temp();
    const get = scratch.track(SpawnedProcess.node(CLI.client, ['-folder', into, '-port', '0', '-tracker', address, '-keyfile', keyfile, '-get', 'among-twenty-thousand.txt'], { env: { P2P_KEY: '', P2P_DATA_DIR: path.join(dir, 'getter-data') } }));
    expect((await get.waitForExit(30_000)).code).toBe(0);
    expect(get.stdout).toMatch(/done: .*among-twenty-thousand\.txt verified/);

    const exit = await generator.waitForExit(120_000);
    const summary = JSON.parse(generator.stdout.trim().split('\n').at(-1)!) as {
      joined: number;
      failedJoins: number;
      files: number;
      left: number;
      errors: string[];
      lookupCheck: { checked: number; wrong: number };
      heartbeats: { sent: number; acked: number };
    };
    expect(summary.errors).toEqual([]);
    expect(exit.code).toBe(0);
    expect(summary.joined).toBe(PEERS);
    expect(summary.failedJoins).toBe(0);
    expect(summary.files).toBe(PEERS * FILES);
    expect(summary.lookupCheck.checked).toBeGreaterThan(100);
    expect(summary.lookupCheck.wrong).toBe(0);
    expect(summary.left).toBe(PEERS); // a clean exit leaves at once: every LEAVE was acknowledged
  }, 300_000);
});
