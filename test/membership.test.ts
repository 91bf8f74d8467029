import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { CLI, CliScratch, SpawnedProcess, assertBuilt, freePort } from './support/processes.mjs';

/**
 * Managed membership (docs/PROTOCOL.md §22) with real p2ptracker and p2pclient processes on
 * loopback: invites printed by `p2ptracker -invite`, redeemed by `p2pclient -join`, members
 * listed and revoked by `-members` and `-revoke` beside the running tracker.
 */
const scratch = new CliScratch('p2p-members-');
beforeAll(() => assertBuilt());
afterEach(() => scratch.cleanup());

function run(script: string, args: string[]): SpawnedProcess {
  // No key from the environment: a member's comes from its data dir.
  return scratch.track(SpawnedProcess.node(script, args, { env: { P2P_KEY: '' } }));
}

async function finished(script: string, args: string[]) {
  const proc = run(script, args);
  const exit = await proc.waitForExit(30_000);
  return { code: exit.code, stdout: proc.stdout, stderr: proc.stderr, proc };
}

async function network() {
  const trackerData = await scratch.temp();
  const tracker = run(CLI.tracker, ['-data', trackerData, '-port', '0', '-host', '127.0.0.1']);
  const port = Number((await tracker.waitFor(/listening on [^:]+:(\d+)/, 20_000, 'stdout'))[1]);
  await tracker.waitFor(/members join with|peers join with/, 10_000, 'stdout');
  const invite = async (...extra: string[]) => {
    const r = await finished(CLI.tracker, ['-data', trackerData, '-invite', ...extra]);
    expect(r.code, r.proc.describe()).toBe(0);
    const line = r.stdout.trim();
    expect(line).toMatch(new RegExp(`^p2p://127\\.0\\.0\\.1:${port}/join#[A-Za-z0-9_-]{12}\\.[A-Za-z0-9_-]{24}\\.[0-9a-f]{32}$`));
    return line;
  };
  const join = async (invite: string, name: string) => {
    const data = await scratch.temp();
    const r = await finished(CLI.client, ['-data', data, '-join', invite, '-name', name]);
    return { ...r, data };
  };
  const members = async () => {
    const r = await finished(CLI.tracker, ['-data', trackerData, '-members', '-json']);
    expect(r.code, r.proc.describe()).toBe(0);
    return JSON.parse(r.stdout) as Array<{ id: string; name: string; role: string; joinedAt: string }>;
  };
  return { tracker, trackerData, port, invite, join, members };
}

describe('managed membership', () => {
  it('invite, join and download as a member; a used or expired invite is refused; the key alone gets nothing', async () => {
    const net = await network();
    const link = await net.invite('-uses', '2');
    const alice = await net.join(link, 'alice');
    expect(alice.code, alice.proc.describe()).toBe(0);
    expect(alice.stdout).toMatch(/^joined the network through 127\.0\.0\.1:\d+ as alice \([0-9a-f]{32}\)/);
    const bob = await net.join(link, 'bob');
    expect(bob.code, bob.proc.describe()).toBe(0);

    // Both uses are gone.
    const carol = await net.join(link, 'carol');
    expect(carol.code).toBe(1);
    expect(carol.stderr).toContain('invite already used');
    // An invite past its time.
    const short = await net.invite('-expires', '1s');
    await new Promise((r) => setTimeout(r, 1300));
    const late = await net.join(short, 'dave');
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('invite expired');

    const list = await net.members();
    expect(list.map((m) => m.name)).toEqual(['alice', 'bob']);
    for (const m of list) {
      expect(m.id).toMatch(/^[0-9a-f]{32}$/);
      expect(m.role).toBe('member');
      expect(new Date(m.joinedAt).toISOString()).toBe(m.joinedAt);
    }

    // Alice shares, Bob downloads: neither passes a key or a tracker; both come from the data dir.
    const share = await scratch.temp();
    const data = await writeRandomFile(path.join(share, 'for-members.bin'), 1024 * 1024);
    const holder = run(CLI.client, ['-data', alice.data, '-folder', share, '-port', '0']);
    await holder.waitFor(/connected to tracker/, 20_000, 'stderr');
    const into = await scratch.temp();
    const get = await finished(CLI.client, ['-data', bob.data, '-folder', into, '-port', '0', '-get', 'for-members.bin', '-timeout', '20']);
    expect(get.code, get.proc.describe()).toBe(0);
    expect(await sha256File(path.join(into, 'for-members.bin'))).toBe(sha256(data));

    // The network key alone (the tracker's own key file) lists nothing: no certificate.
    const stranger = await scratch.temp();
    const keyfile = path.join(stranger, 'network.key');
    await writeFile(keyfile, await readFile(path.join(net.trackerData, 'network.key'), 'utf8'));
    const denied = await finished(CLI.client, ['-data', stranger, '-tracker', `127.0.0.1:${net.port}`, '-keyfile', keyfile, '-list', '-timeout', '5']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('no member certificate');
    expect(denied.stdout).not.toContain('for-members.bin');
  }, 90_000);

  it('revoke: within 5 s the member is cut off and refused, though it keeps the key and its data dir; the others go on', async () => {
    const net = await network();
    const link = await net.invite('-uses', '2');
    const alice = await net.join(link, 'alice');
    const bob = await net.join(link, 'bob');
    expect([alice.code, bob.code]).toEqual([0, 0]);
    const share = await scratch.temp();
    await writeFile(path.join(share, 'still-here.txt'), 'for members only\n');
    const holder = run(CLI.client, ['-data', alice.data, '-folder', share, '-port', '0']);
    await holder.waitFor(/connected to tracker/, 20_000, 'stderr');
    const bobShare = await scratch.temp();
    const bobRunning = run(CLI.client, ['-data', bob.data, '-folder', bobShare, '-port', '0']);
    await bobRunning.waitFor(/connected to tracker/, 20_000, 'stderr');

    const revoked = await finished(CLI.tracker, ['-data', net.trackerData, '-revoke', 'bob']);
    expect(revoked.code, revoked.proc.describe()).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked bob \([0-9a-f]{32}\)$/m);
    const at = Date.now();
    // The running tracker acts on it at once: bob's next contact is refused with the reason.
    const listing = await finished(CLI.client, ['-data', bob.data, '-list', '-timeout', '5']);
    expect(Date.now() - at).toBeLessThan(5000);
    expect(listing.code).toBe(1);
    expect(listing.stderr).toMatch(/this device was removed from the network by the owner/);
    expect(listing.stdout).not.toContain('still-here.txt');
    // Its running client hears why at its next heartbeat (every 4 s here), without a restart.
    await bobRunning.waitFor(/this device was removed from the network by the owner/, 10_000, 'stderr');
    // Alice is unaffected.
    const aliceList = await finished(CLI.client, ['-data', alice.data, '-list', '-timeout', '5']);
    expect(aliceList.code, aliceList.proc.describe()).toBe(0);
    expect(aliceList.stdout).toContain('still-here.txt');
    expect((await net.members()).map((m) => m.name)).toEqual(['alice']);
    // Unknown names are a clear error.
    const unknown = await finished(CLI.tracker, ['-data', net.trackerData, '-revoke', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no member "nobody"');
  }, 90_000);

  it('revoke mid-download: the holder hears it from the tracker and cuts the transfer; the member never gets the file', async () => {
    const net = await network();
    const link = await net.invite('-uses', '2');
    const alice = await net.join(link, 'alice');
    const bob = await net.join(link, 'bob');
    expect([alice.code, bob.code]).toEqual([0, 0]);
    const share = await scratch.temp();
    await writeRandomFile(path.join(share, 'large.bin'), 8 * 1024 * 1024);
    // Alice uploads at 512 KiB/s: 8 MiB takes 16 s, so the revocation lands mid-transfer.
    const holder = run(CLI.client, ['-data', alice.data, '-folder', share, '-port', '0', '-limit-up', '512']);
    await holder.waitFor(/connected to tracker/, 20_000, 'stderr');
    const into = await scratch.temp();
    const get = run(CLI.client, ['-data', bob.data, '-folder', into, '-port', '0', '-get', 'large.bin', '-timeout', '4']);
    await get.waitFor(/progress \S+: +\d+% .* downloading/, 20_000, 'stdout');
    const revoked = await finished(CLI.tracker, ['-data', net.trackerData, '-revoke', 'bob']);
    expect(revoked.code, revoked.proc.describe()).toBe(0);
    const at = Date.now();
    // The tracker passes the owner-signed revocation on; Alice closes Bob's connection.
    await holder.waitFor(/peer [0-9a-f]{8} was removed from the network: closed its connection/, 5000, 'stderr');
    expect(Date.now() - at).toBeLessThan(5000);
    const exit = await get.waitForExit(30_000);
    expect(exit.code, get.describe()).not.toBe(0);
    expect(get.stdout).not.toMatch(/done: .*large\.bin verified/);
    // Alice keeps the revocation on disk: after a restart she refuses Bob at once, tracker or not.
    const saved = JSON.parse(await readFile(path.join(alice.data, 'member', 'revocations.json'), 'utf8')) as string[];
    expect(saved).toHaveLength(1);
  }, 90_000);

  it('revocation spreads peer to peer while the tracker is down: a member that heard it passes it on in its handshake', async () => {
    const net = await network();
    const link = await net.invite('-uses', '3');
    const [alice, bob, carol] = [await net.join(link, 'alice'), await net.join(link, 'bob'), await net.join(link, 'carol')];
    expect([alice.code, bob.code, carol.code]).toEqual([0, 0, 0]);
    const bobId = (await net.members()).find((m) => m.name === 'bob')!.id;
    const share = await scratch.temp();
    await writeFile(path.join(share, 'first.txt'), 'one\n');
    await writeFile(path.join(share, 'second.txt'), 'two\n');
    // Alice on a fixed port, so the address the others remember still holds after her restart.
    const alicePort = String(await freePort());
    let holder = run(CLI.client, ['-data', alice.data, '-folder', share, '-port', alicePort]);
    await holder.waitFor(/connected to tracker/, 20_000, 'stderr');
    // Bob and Carol each fetch once: they now remember the listing and Alice's address.
    for (const m of [bob, carol]) {
      const listed = await finished(CLI.client, ['-data', m.data, '-list', '-timeout', '10']);
      expect(listed.stdout).toContain('second.txt');
      const into = await scratch.temp();
      const got = await finished(CLI.client, ['-data', m.data, '-folder', into, '-port', '0', '-get', 'first.txt', '-timeout', '20']);
      expect(got.code, got.proc.describe()).toBe(0);
    }
    await holder.stop();

    // Bob is revoked while Alice is away; Carol is online and hears it from the tracker.
    const carolShare = await scratch.temp();
    const carolRunning = run(CLI.client, ['-data', carol.data, '-folder', carolShare, '-port', '0']);
    await carolRunning.waitFor(/connected to tracker/, 20_000, 'stderr');
    expect((await finished(CLI.tracker, ['-data', net.trackerData, '-revoke', 'bob'])).code).toBe(0);
    await carolRunning.waitFor(new RegExp(`peer ${bobId.slice(0, 8)} was removed from the network`), 5000, 'stderr');
    await carolRunning.stop();
    await net.tracker.stop();

    // The tracker is down. Alice comes back knowing nothing of it; Carol fetches from her.
    holder = run(CLI.client, ['-data', alice.data, '-folder', share, '-port', alicePort]);
    await holder.waitFor(/serving; press Ctrl-C to stop/, 20_000, 'stdout');
    const carolInto = await scratch.temp();
    const carolGet = await finished(CLI.client, ['-data', carol.data, '-folder', carolInto, '-port', '0', '-get', 'second.txt', '-timeout', '8']);
    expect(carolGet.code, carolGet.proc.describe()).toBe(0);
    // Carol's handshake carried the owner-signed revocation: Alice keeps it.
    await holder.waitFor(new RegExp(`peer ${bobId.slice(0, 8)} was removed from the network`), 5000, 'stderr');
    // So Bob, who still has the key, his certificate and Alice's address, gets nothing from her.
    const bobInto = await scratch.temp();
    const bobGet = await finished(CLI.client, ['-data', bob.data, '-folder', bobInto, '-port', '0', '-get', 'second.txt', '-timeout', '5']);
    expect(bobGet.code).not.toBe(0);
    expect(bobGet.stdout).not.toMatch(/done: .*second\.txt verified/);
  }, 120_000);

  it('migration: a key-only network turns managed at the first invite, and the members online get certificates and go on', async () => {
    const net = await network();
    const keyfile = path.join(net.trackerData, 'network.key');
    // Alice is a member by the key alone, as every member was before managed membership.
    const aliceData = await scratch.temp();
    const share = await scratch.temp();
    await writeFile(path.join(share, 'kept.txt'), 'from before\n');
    const alice = run(CLI.client, ['-data', aliceData, '-folder', share, '-port', '0', '-tracker', `127.0.0.1:${net.port}`, '-keyfile', keyfile]);
    await alice.waitFor(/connected to tracker/, 20_000, 'stderr');
    await net.invite(); // the first invite turns management on
    await alice.waitFor(/this peer is now a member of the network as member [0-9a-f]{8}/, 5000, 'stderr');
    await alice.waitFor(/kept the member certificate in /, 5000, 'stderr');
    expect((await net.members()).map((m) => m.name)).toEqual([expect.stringMatching(/^member [0-9a-f]{8}$/)]);
    // A key holder who wasn't online is refused now…
    const late = await scratch.temp();
    const refused = await finished(CLI.client, ['-data', late, '-tracker', `127.0.0.1:${net.port}`, '-keyfile', keyfile, '-list', '-timeout', '5']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no member certificate');
    // …while Alice, restarted with her data dir, is a member with no key or tracker flags.
    await alice.stop();
    const again = await finished(CLI.client, ['-data', aliceData, '-list', '-timeout', '5']);
    expect(again.code, again.proc.describe()).toBe(0);
  }, 90_000);

  it('admins: the owner makes one; it invites and revokes through the tracker; a plain member is told it is not an admin', async () => {
    const net = await network();
    const link = await net.invite('-uses', '2');
    const [alice, bob] = [await net.join(link, 'alice'), await net.join(link, 'bob')];
    expect([alice.code, bob.code]).toEqual([0, 0]);
    // Bob runs, so he is online to get his new certificate.
    const bobRunning = run(CLI.client, ['-data', bob.data, '-folder', await scratch.temp(), '-port', '0']);
    await bobRunning.waitFor(/connected to tracker/, 20_000, 'stderr');
    const made = await finished(CLI.tracker, ['-data', net.trackerData, '-make-admin', 'bob']);
    expect(made.code, made.proc.describe()).toBe(0);
    expect(made.stdout).toMatch(/^bob \([0-9a-f]{32}\) is an admin now$/m);
    await bobRunning.waitFor(/member certificate was renewed: bob, admin/, 5000, 'stderr');
    await bobRunning.stop();
    expect((await net.members()).find((m) => m.name === 'bob')?.role).toBe('admin');

    // From his own data dir, Bob's -invite, -members and -revoke go to the tracker.
    const invite = await finished(CLI.tracker, ['-data', bob.data, '-invite', '-expires', '1h']);
    expect(invite.code, invite.proc.describe()).toBe(0);
    const carol = await net.join(invite.stdout.trim(), 'carol');
    expect(carol.code, carol.proc.describe()).toBe(0);
    const listed = await finished(CLI.tracker, ['-data', bob.data, '-members', '-json']);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((m) => m.name).sort()).toEqual(['alice', 'bob', 'carol']);
    const revoked = await finished(CLI.tracker, ['-data', bob.data, '-revoke', 'carol']);
    expect(revoked.code, revoked.proc.describe()).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked carol/m);
    // Alice is a member, not an admin.
    const denied = await finished(CLI.tracker, ['-data', alice.data, '-revoke', 'bob']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('not an admin');
    const notOwner = await finished(CLI.tracker, ['-data', bob.data, '-make-admin', 'alice']);
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toContain('only the owner makes admins');
  }, 90_000);
});

