import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { LAB, labAvailability } from './netlab/lab.mjs';
import { TRACKER_PORT, natScenario } from './support/nat-scenario.js';

/**
 * Real p2ptracker and p2pclient processes across the NAT lab (test/netlab/lab.mjs), with default
 * options: a holder behind a mapping router (UPnP IGD, or NAT-PMP only) is downloaded from by a
 * peer behind another NAT, and with every way round a NAT turned off it can't be. The full
 * matrix of NAT kinds is test/nat-matrix.test.ts.
 */
const availability = labAvailability({ upnp: true });
const FILE_BYTES = 16 * 1024 * 1024;
const skipReason = availability.ok ? '' : ` (skipped: ${availability.reason})`;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!availability.ok)(`peers across NATs: a UPnP router${skipReason}`, () => {
  const lab = natScenario({});

  it('a holder behind a UPnP router maps its port; a peer behind another NAT downloads from it directly', async () => {
    const content = randomBytes(FILE_BYTES);
    const holder = await lab.share('hostU1', 'mapped', content);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(UPnP port mapping\)/, 20_000, 'stderr');
    expect(mapped[1]).toBe(LAB.routerU);
    // The tracker lists it at the router's public address (its datagrams' source) and the mapped port.
    await holder.waitFor(new RegExp(`tracker ${LAB.tracker}:${TRACKER_PORT} lists this peer at ${LAB.routerU.replaceAll('.', '\\.')}:${mapped[2]}$`, 'm'), 20_000, 'stderr');
    // The tracker dials that address back and gets this peer's own handshake (AutoNAT).
    await holder.waitFor(new RegExp(`tracker ${LAB.tracker}:${TRACKER_PORT} reached this peer at ${LAB.routerU.replaceAll('.', '\\.')}:${mapped[2]}$`, 'm'), 20_000, 'stderr');
    const r = await lab.get('hostN', 'getter-mapped', 'mapped.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(r.proc.stdout).toMatch(/done: .*mapped\.bin verified/);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);

  it('when the router gave our port to another host, the holder maps another, and trackers beyond the router list that one', async () => {
    const port = 47_000;
    // hostU2 holds the router's external port 47000 first.
    const upnpc = lab.run('hostU2', 'upnpc', ['-i', '-a', LAB.hostU2, String(port), String(port), 'TCP']);
    expect((await upnpc.waitForExit(20_000)).code, upnpc.describe()).toBe(0);
    const content = randomBytes(256 * 1024);
    const holder = await lab.share('hostU1', 'moved', content, ['-port', String(port)]);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(UPnP port mapping\)/, 20_000, 'stderr');
    expect(Number(mapped[2])).not.toBe(port);
    // It joined again with the router's port, so the tracker on the WAN lists what the router forwards.
    await holder.waitFor(new RegExp(`lists this peer at ${LAB.routerU.replaceAll('.', '\\.')}:${mapped[2]}$`, 'm'), 20_000, 'stderr');
    const r = await lab.get('hostN', 'getter-moved', 'moved.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);

  it('with -no-upnp, -no-punch and -no-relay the same kind of holder is listed but unreachable from behind another NAT', async () => {
    const off = ['-no-upnp', '-no-punch', '-no-relay'];
    const holder = await lab.share('hostU2', 'unmapped', randomBytes(64 * 1024), off);
    // Its dial-back fails: the router forwards nothing to it.
    await holder.waitFor(/could not reach this peer at 203\.0\.113\.2:\d+: other peers reach it through the tracker/, 20_000, 'stderr');
    const r = await lab.get('hostN', 'getter-unmapped', 'unmapped.bin', 6, off);
    expect(r.exit.code, r.proc.describe()).toBe(1);
    // Listed (it was found, from one peer), but nobody can dial it: not a listing or key problem.
    expect(r.proc.stdout).toMatch(/downloading unmapped\.bin \(64\.0 KiB, [0-9a-f]{12}\) from 1 peer/);
    expect(r.proc.stderr).toContain('no reachable peer has unmapped.bin');
  }, 120_000);
});

describe.skipIf(!availability.ok)(`peers across NATs: a NAT-PMP-only router${skipReason}`, () => {
  const lab = natScenario({ natPmpOnly: true });

  it('a holder behind a router speaking only NAT-PMP maps its port, and a peer behind another NAT downloads from it', async () => {
    const content = randomBytes(FILE_BYTES);
    const holder = await lab.share('hostU1', 'pmp', content);
    const mapped = await holder.waitFor(/reachable from outside at (\S+):(\d+) \(NAT-PMP port mapping\)/, 30_000, 'stderr');
    expect(mapped[1]).toBe(LAB.routerU);
    const r = await lab.get('hostN', 'getter-pmp', 'pmp.bin', 20);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
  }, 120_000);
});

describe.skipIf(!availability.ok)(`peers across NATs: a member that relays${skipReason}`, () => {
  // The tracker relays for no one: a public member that offers to (`-relay`) carries what nothing else can.
  const lab = natScenario({ matrix: true, trackerArgs: ['-no-relay'] });

  it('two peers behind symmetric NATs go through a reachable member that offers to relay', async () => {
    const relayer = await lab.share('public', 'relayer', randomBytes(1024), ['-relay', '-relay-limit', '0']);
    // The tracker uses a member's relay only once its dial-back reached it.
    await relayer.waitFor(new RegExp(`tracker ${LAB.tracker}:${TRACKER_PORT} reached this peer at ${LAB.public.replaceAll('.', '\\.')}:\\d+$`, 'm'), 20_000, 'stderr');
    const content = randomBytes(FILE_BYTES);
    await lab.share('hostS', 'held-symmetric', content);
    const r = await lab.get('hostT', 'get-through-member', 'held-symmetric.bin', 30);
    expect(r.exit.code, r.proc.describe()).toBe(0);
    expect(/^from: .*$/m.exec(r.proc.stdout)?.[0]).toMatch(/ relayed /);
    expect(sha256(await readFile(r.path))).toBe(sha256(content));
    // The member spliced the two (and so saw only their TLS): its log names the pair.
    expect(relayer.stderr).toMatch(/relay: [0-9a-f]{8} ⇄ [0-9a-f]{8}/);
  }, 180_000);
});
