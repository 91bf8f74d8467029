import { execFileSync } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { machineAddresses } from '../electron/host/machine-addresses.js';
import { formatNetworkKey, generateNetworkKey, parseNetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { TrackerClient } from '../electron/engine/tracker/tracker-client.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { CLI, CliScratch, SpawnedProcess, assertBuilt } from './support/processes.mjs';

/** The CLI's own words, from real processes: what the tracker prints on start, and what a client is told. */
const scratch = new CliScratch('p2p-cli-msg-');
const temp = () => scratch.temp();
beforeAll(() => assertBuilt());
afterEach(() => scratch.cleanup());

function start(script: string, args: string[], env: NodeJS.ProcessEnv = {}, command: string[] = []): SpawnedProcess {
  const p = command.length
    ? SpawnedProcess.spawn(command[0]!, [...command.slice(1), process.execPath, script, ...args], { env: { P2P_KEY: '', ...env } })
    : SpawnedProcess.node(script, args, { env: { P2P_KEY: '', ...env } });
  return scratch.track(p);
}

async function trackerStarted(args: string[], env: NodeJS.ProcessEnv): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = start(CLI.tracker, ['-port', '0', ...args], env);
  const port = Number((await proc.waitFor(/listening on [^:]+:(\d+)/))[1]);
  await proc.waitFor(/join with: .*\n/);
  return { proc, port };
}

async function keyFile(): Promise<{ file: string; key: string }> {
  const key = formatNetworkKey(generateNetworkKey());
  const file = path.join(await temp(), 'network.key');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return { file, key };
}

describe('p2ptracker on start', () => {
  it('prints the network key and the invite only when it creates the key (or with -show-invite), never with -quiet or -keyfile', async () => {
    const data = await temp();
    const first = await trackerStarted(['-host', '127.0.0.1'], { P2P_DATA_DIR: data });
    const key = first.proc.stdout.match(/network key: (\S+)/)?.[1];
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.proc.stdout).toContain(`invite (the app's Join network): p2p://127.0.0.1:${first.port}#${key}`);
    await first.proc.stop('SIGKILL');

    const again = await trackerStarted(['-host', '127.0.0.1'], { P2P_DATA_DIR: data });
    expect(again.proc.stdout).not.toContain(key);
    expect(again.proc.stdout).toContain('-show-invite prints it');
    await again.proc.stop('SIGKILL');

    const shown = await trackerStarted(['-host', '127.0.0.1', '-show-invite'], { P2P_DATA_DIR: data });
    expect(shown.proc.stdout).toContain(`p2p://127.0.0.1:${shown.port}#${key}`);

    const quietFresh = await trackerStarted(['-host', '127.0.0.1', '-quiet'], { P2P_DATA_DIR: await temp() });
    expect(quietFresh.proc.stdout).not.toMatch(/network key: |p2p:\/\//);

    const given = await keyFile();
    const withFile = await trackerStarted(['-host', '127.0.0.1', '-keyfile', given.file], { P2P_DATA_DIR: await temp() });
    expect(withFile.proc.stdout).not.toContain(given.key);
  }, 60_000);

  it('names only addresses it listens on in the "members join with" hint', async () => {
    const given = await keyFile();
    const loopback = await trackerStarted(['-host', '127.0.0.1', '-keyfile', given.file], { P2P_DATA_DIR: await temp() });
    await loopback.proc.waitFor(/only this machine/); // the note follows the join line, maybe in a later chunk
    const hint = loopback.proc.stdout.match(/members join with: .* -tracker (\S+)/)![1];
    expect(hint).toBe(`127.0.0.1:${loopback.port}`);
    expect(loopback.proc.stdout).toContain('only this machine can reach it');
    for (const other of machineAddresses()) expect(loopback.proc.stdout).not.toContain(other);

    const everywhere = await trackerStarted(['-keyfile', given.file], { P2P_DATA_DIR: await temp() });
    const host = everywhere.proc.stdout.match(/members join with: .* -tracker (\S+):\d+/)![1]!;
    expect(machineAddresses().length ? machineAddresses() : ['127.0.0.1']).toContain(host);
  }, 30_000);
});

describe('a tracker at its caps', () => {
  it('tells a client over the connection cap that the tracker is full, at once', async () => {
    const given = await keyFile();
    const { port } = await trackerStarted(['-host', '127.0.0.1', '-keyfile', given.file, '-max-connections', '1'], { P2P_DATA_DIR: await temp() });
    // Protocol v2 members hold no connection (the control plane is UDP): a version-1 session holds the one the cap allows.
    const id = PeerIdentity.generate();
    const holder = new TrackerClient({ address: `127.0.0.1:${port}`, peerId: id.peerId, identity: id, listenPort: 0, files: () => [], transport: tlsTransport(parseNetworkKey(given.key)) });
    holder.start();
    try {
      await holder.waitConnected(10_000);
      const started = Date.now();
      const late = start(CLI.client, ['-tracker', `127.0.0.1:${port}`, '-list', '-keyfile', given.file], { P2P_DATA_DIR: await temp() });
      expect(await late.exited).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(late.stderr).toContain(`tracker 127.0.0.1:${port} is full: it serves at most 1 connections`);
      expect(late.stderr).not.toContain('connection closed by the remote');
    } finally {
      await holder.stop();
    }
  }, 30_000);

  it('tells a member whose files pass the tracker-wide budget that the tracker is full, naming the cap', async () => {
    const given = await keyFile();
    const { port } = await trackerStarted(['-host', '127.0.0.1', '-keyfile', given.file, '-max-files', '3'], { P2P_DATA_DIR: await temp() });
    const folder = await temp();
    for (let i = 0; i < 5; i++) await writeFile(path.join(folder, `file-${i}.txt`), `content ${i}`);
    const member = start(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${port}`, '-keyfile', given.file], { P2P_DATA_DIR: await temp() });
    await member.waitFor(new RegExp(`tracker 127\\.0\\.0\\.1:${port} is full: it lists at most 3 files in all`), 10_000, 'stderr');
  }, 30_000);
});

/**
 * Tests run as root, who may read a chmod 000 file; so the seeder runs as
 * `nobody` (setpriv), for whom the file is really unreadable.
 */
const canDropPrivileges = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('a seeder', () => {
  it.skipIf(!canDropPrivileges)('says which file it cannot read, and why, instead of skipping it without a word (run as nobody via setpriv; needs root)', async () => {
    const root = await temp();
    const folder = path.join(root, 'share');
    const data = path.join(root, 'data');
    await mkdir(folder);
    await mkdir(data);
    await writeFile(path.join(folder, 'readable.txt'), 'hello');
    await writeFile(path.join(folder, 'locked.txt'), 'secret');
    await chmod(path.join(folder, 'locked.txt'), 0o000);
    await chmod(root, 0o755);
    await chmod(folder, 0o755);
    await chmod(data, 0o777);
    const seeder = start(CLI.client, ['-folder', folder, '-port', '0', '-tracker', '127.0.0.1:1', '-open'], { P2P_DATA_DIR: data, HOME: data }, [
      'setpriv',
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
    ]);
    await seeder.waitFor(/sharing 1 file/, 15_000);
    expect(seeder.stderr).toContain('not sharing "locked.txt": this user may not read it (EACCES: permission denied)');
  }, 30_000);
});
