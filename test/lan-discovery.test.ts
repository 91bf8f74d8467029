import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LAB, labAvailability } from './netlab/lab.mjs';
import { TRACKER_PORT, natScenario } from './support/nat-scenario.js';
import type { SpawnedProcess } from './support/processes.mjs';
import { parseInvite } from '../shared/ipc/invite.js';

/**
 * LAN discovery with real p2pclient processes on one lab LAN (hostU1 and hostU2 behind routerU,
 * test/netlab/lab.mjs): mDNS crosses their bridge and stops at the router. Default options: only
 * the harness's own P2P_NO_LAN is unset, as it is for the app and the CLI on a real machine.
 */
const availability = labAvailability({ upnp: true });
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;
const FORGER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'netlab', 'mdns-forger.mjs');
const BROWSER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'netlab', 'lan-browse.mjs');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!availability.ok)(`members on one LAN find each other over mDNS${skipReason}`, () => {
  const lab = natScenario({});
  /** Holders and forgers a test started: stopped after it, pass or fail, so the next test's LAN is its own. */
  const started: SpawnedProcess[] = [];
  afterEach(async () => {
    for (const proc of started.splice(0)) {
      proc.kill('SIGTERM');
      await proc.waitForExit(15_000);
    }
  });

  async function holder(name: string, bytes: Buffer, extra: string[] = []) {
    const folder = await lab.folder(`${name}-share`);
    await writeFile(path.join(folder, `${name}.bin`), bytes);
    const proc = lab.client('hostU1', name, ['-folder', folder, '-port', '0', ...extra]);
    started.push(proc);
    await proc.waitFor(/serving; press Ctrl-C/, 20_000, 'output');
    return proc;
  }

  it('with no tracker address at all: -list shows the neighbour\'s files and -get downloads them directly over the LAN', async () => {
    const content = randomBytes(8 * 1024 * 1024);
    await holder('nearby', content);
    const list = lab.client('hostU2', 'lister', ['-list', '-json', '-timeout', '10']);
    const listed = await list.waitForExit(30_000);
    expect(listed.code, list.describe()).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ name: string; size: number; peers: number }>;
    expect(rows.map((r) => [r.name, r.size, r.peers])).toEqual([['nearby.bin', content.length, 1]]);

    const into = await lab.folder('nearby-into');
    const get = lab.client('hostU2', 'getter', ['-folder', into, '-port', '0', '-get', 'nearby.bin', '-timeout', '10']);
    const got = await get.waitForExit(40_000);
    expect(got.code, get.describe()).toBe(0);
    expect(sha256(await readFile(path.join(into, 'nearby.bin')))).toBe(sha256(content));
    expect(get.stdout).toMatch(/^from: [0-9a-f]{8} lan 8\.00 MiB$/m);
  }, 120_000);

  it('the app hosting a tracker (headless host, -host-tracker) says so to the LAN, maps the tracker port on its router for the invite, and says goodbye when it leaves', async () => {
    const folder = await lab.folder('hosting-share');
    const host = lab.client('hostU1', 'hosting', ['-folder', folder, '-port', '0', '-ui', '0', '-host-tracker', '-host-tracker-port', '7070']);
    started.push(host);
    await host.waitFor(/http:\/\/127\.0\.0\.1:\d+/, 30_000, 'output');
    const browse = lab.node('hostU2', BROWSER, [lab.key, '2']);
    expect((await browse.waitForExit(20_000)).code, browse.describe()).toBe(0);
    const heard = JSON.parse(browse.stdout) as Array<{ host: string; trackerPort?: number; name?: string }>;
    expect(heard.map((p) => [p.host, p.trackerPort])).toEqual([[LAB.hostU1, 7070]]);
    expect(heard[0]!.name).toBeTruthy();
    // Its router forwards the tracker's port (TCP and UDP): the invite, printed again, names that public address too…
    const again = await host.waitFor(/invite: (p2p:\/\/\S*203\.0\.113\.2:7070\S*)/, 30_000, 'stdout');
    const invite = parseInvite(again[1]!);
    if ('error' in invite) throw new Error(invite.error);
    expect(invite.trackers).toEqual(expect.arrayContaining([`${LAB.hostU1}:7070`, `${LAB.routerU}:7070`]));
    // …and a member behind another NAT lists through it (its control plane over UDP, its listing over TCP).
    const outside = lab.client('hostN', 'outside-lister', ['-list', '-json', '-no-lan', '-tracker', `${LAB.routerU}:7070`, '-timeout', '10']);
    expect((await outside.waitForExit(30_000)).code, outside.describe()).toBe(0);
    // A goodbye on the way out: a member that heard it forgets it at once, not after the records' two minutes.
    const watching = lab.node('hostU2', BROWSER, [lab.key, '6']);
    await new Promise((r) => setTimeout(r, 1500));
    host.kill('SIGTERM');
    await host.waitForExit(15_000);
    expect((await watching.waitForExit(20_000)).code, watching.describe()).toBe(0);
    expect(JSON.parse(watching.stdout)).toEqual([]);
  }, 120_000);

  it('members sharing a far tracker still fetch from each other over the LAN', async () => {
    const tracker = `${LAB.tracker}:${TRACKER_PORT}`;
    const content = randomBytes(4 * 1024 * 1024);
    const sharing = await holder('both', content, ['-tracker', tracker]);
    await sharing.waitFor(/connected to tracker/, 20_000, 'stderr');
    // The tracker lists it before the -get asks (so the LAN path is chosen, not the only one found).
    await lab.eventuallyListed('hostU2', tracker, 'both.bin');
    const into = await lab.folder('both-into');
    const get = lab.client('hostU2', 'both-getter', ['-folder', into, '-port', '0', '-tracker', tracker, '-get', 'both.bin', '-timeout', '10']);
    const got = await get.waitForExit(40_000);
    expect(got.code, get.describe()).toBe(0);
    expect(sha256(await readFile(path.join(into, 'both.bin')))).toBe(sha256(content));
    // The tracker lists it at its router's public address; the LAN address wins.
    expect(get.stdout).toMatch(/^from: [0-9a-f]{8} lan 4\.00 MiB$/m);
  }, 120_000);

  it('ignores spoofed, oversized, misnamed and undecodable mDNS answers with a logged reason, and still lists the real member', async () => {
    const content = randomBytes(64 * 1024);
    await holder('honest', content);
    const forger = lab.node('hostU2', FORGER, [lab.key, '8']);
    started.push(forger);
    await forger.waitFor(/forging/, 10_000, 'stdout');
    const list = lab.client('hostU2', 'wary-lister', ['-list', '-json', '-verbose', '-timeout', '10']);
    const listed = await list.waitForExit(30_000);
    expect(listed.code, list.describe()).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual(['honest.bin']);
    const from = LAB.hostU2.replaceAll('.', '\\.');
    expect(list.stderr).toMatch(new RegExp(`ignored an mDNS advertisement from ${from}: bad_seal`));
    expect(list.stderr).toMatch(new RegExp(`ignored an mDNS advertisement from ${from}: too_large`));
    expect(list.stderr).toMatch(new RegExp(`ignored an mDNS advertisement from ${from}: bad_body \\(the instance name is not that peer id's\\)`));
    expect(list.stderr).toMatch(/ignored a malformed mDNS packet/);
  }, 120_000);
});
