import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { CLI, CliScratch, SpawnedProcess, assertBuilt } from './support/processes.mjs';

const scratch = new CliScratch('p2p-sec-cli-');
const temp = () => scratch.temp();
beforeAll(() => assertBuilt());
afterEach(() => scratch.cleanup());

function start(script: string, args: string[], env: NodeJS.ProcessEnv): SpawnedProcess {
  const env2 = { ...env };
  delete env2.P2P_KEY;
  const p = SpawnedProcess.node(script, args, { env: env2 });
  return scratch.track(p);
}

describe('network keys on the command line', () => {
  it('-genkey prints a fresh key on its last line', async () => {
    const a = start(CLI.tracker, ['-genkey'], {});
    const b = start(CLI.tracker, ['-genkey'], {});
    expect(await a.exited).toBe(0);
    await b.exited;
    const keyA = a.stdout.trim().split('\n').at(-1)!;
    const keyB = b.stdout.trim().split('\n').at(-1)!;
    expect(keyA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keyA).not.toBe(keyB);
    expect(a.stdout.trim()).toBe(keyA); // stdout is the key alone: `-genkey > network.key` makes a key file
  });

  it("runs the original spec's commands on one machine with no key flags: the tracker's stored key is used", async () => {
    const data = await temp();
    const env = { P2P_DATA_DIR: data };
    const tracker = start(CLI.tracker, ['-port', '0', '-host', '127.0.0.1'], env);
    const port = Number((await tracker.waitFor(/listening on [^:]+:(\d+)/))[1]);
    await tracker.waitFor(/created a network key and stored it in (\S+)/);
    await tracker.waitFor(/members join with: /); // later in the same start-up banner, maybe in a later chunk
    const keyFile = path.join(data, 'network.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect(tracker.stdout).toMatch(/members join with: p2pclient .* -keyfile/);

    const shared = await temp();
    const data1 = await writeRandomFile(path.join(shared, 'spec.txt'), 5000);
    const seeder = start(CLI.client, ['-folder', shared, '-port', '0', '-tracker', `127.0.0.1:${port}`], env);
    await seeder.waitFor(/listening on port/);
    const dest = await temp();
    const getter = start(CLI.client, ['-folder', dest, '-port', '0', '-tracker', `127.0.0.1:${port}`, '-get', 'spec.txt', '-timeout', '10'], env);
    expect(await getter.exited).toBe(0);
    expect(await sha256File(path.join(dest, 'spec.txt'))).toBe(sha256(data1));
  });

  it('a node that hosts the tracker (npm start\'s headless fallback) creates the network key on a fresh machine', async () => {
    const data = await temp();
    const folder = await temp();
    const host = start(CLI.client, ['-folder', folder, '-port', '0', '-ui', '0', '-host-tracker', '-host-tracker-port', '0'], { P2P_DATA_DIR: data });
    await host.waitFor(/web UI: http:\/\/127\.0\.0\.1:\d+\/\?token=/, 20_000);
    expect((await stat(path.join(data, 'network.key'))).mode & 0o777).toBe(0o600);
  });

  it('a client with the wrong key, or none, says so clearly; -open warns', async () => {
    const data = await temp();
    const keyFile = path.join(await temp(), 'k');
    const gen = start(CLI.tracker, ['-genkey'], {});
    await gen.exited;
    await writeFile(keyFile, `${gen.stdout.trim().split('\n').at(-1)}\n`);
    const tracker = start(CLI.tracker, ['-port', '0', '-host', '127.0.0.1', '-keyfile', keyFile], { P2P_DATA_DIR: data });
    const port = Number((await tracker.waitFor(/listening on [^:]+:(\d+)/))[1]);

    const other = await temp();
    const wrong = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list', '-timeout', '3', '-key', 'A'.repeat(43)], { P2P_DATA_DIR: other });
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr).toMatch(/different network key/);
    await tracker.waitFor(/refused .*tried to connect with a different network key/, 5000, 'stderr');

    const none = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list'], { P2P_DATA_DIR: other });
    expect(await none.exited).toBe(1);
    expect(none.stderr).toMatch(/no network key: pass -keyfile FILE/);

    const garbage = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list', '-key', 'short'], { P2P_DATA_DIR: other });
    expect(await garbage.exited).toBe(2);

    const good = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list', '-keyfile', keyFile], { P2P_DATA_DIR: other });
    expect(await good.exited).toBe(0);

    const folder = await temp();
    await mkdir(path.join(folder, 'x'));
    const open = start(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${port}`, '-open'], { P2P_DATA_DIR: other });
    await open.waitFor(/OPEN MODE/, 10_000, 'stderr');
    expect(await readFile(keyFile, 'utf8')).not.toContain(' ');
  });
});
