import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectMethod, PREFACE_RELAY, ROLE_REQUESTER } from '../shared/protocol/datagram.js';
import type { DownloadProgress } from '../shared/types.js';
import type { Engine } from '../electron/engine/engine.js';
import type { ControlClient } from '../electron/engine/tracker/control-client.js';
import { generateNetworkKey, type NetworkKey } from '../electron/engine/security/network-key.js';
import { encodePreface } from '../electron/engine/wire/preface.js';
import { Fixtures, announced, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';

const MiB = 1024 * 1024;
const fx = new Fixtures();
afterEach(() => fx.cleanup());

/**
 * Loopback stands in for NATs here: a peer whose server listens on 127.0.0.2 (or .3) is listed
 * by the tracker at 127.0.0.1, where nothing answers, exactly as an unmapped port behind a NAT.
 * The NAT lab (test/nat-traversal.test.ts) runs the same paths through real routers.
 */
async function network(key: NetworkKey, trackerOptions: { relayLimitKiBps?: number } = {}) {
  const tracker = await fx.tracker({ networkKey: key, ...trackerOptions });
  return tracker;
}

async function fetchWithRoutes(engine: Engine, hash: string) {
  const [item] = (await engine.list()).items.filter((i) => i.hash === hash);
  const file = await engine.fetch(item!);
  const row: DownloadProgress | undefined = engine.downloads().find((d) => d.hash === hash);
  return { file, routes: row?.routes ?? [] };
}

async function holderAt(trackerPort: number, key: NetworkKey, host: string, size: number, options: { punch?: boolean } = {}) {
  const folder = await fx.tempDir();
  const data = await writeRandomFile(path.join(folder, 'behind-nat.bin'), size);
  const holder = await fx.peer(trackerPort, { folder, networkKey: key, host, ...options });
  await announced(holder.engine);
  return { holder, data, hash: (await holder.engine.list()).items[0]!.hash };
}

describe('reaching a peer that cannot be dialled', () => {
  it('asks the tracker to have it dial back (connection reversal) when we can be reached', async () => {
    const key = generateNetworkKey();
    const tracker = await network(key);
    const { holder, data, hash } = await holderAt(tracker.port, key, '127.0.0.2', 3 * MiB);
    const downloader = await fx.peer(tracker.port, { networkKey: key });
    await announced(downloader.engine);
    const { file, routes } = await fetchWithRoutes(downloader.engine, hash);
    expect(await sha256File(file)).toBe(sha256(data));
    expect(routes).toEqual([{ peer: holder.engine.peerId.slice(0, 8), path: 'reversed', bytes: 3 * MiB }]);
    expect(tracker.control!.rendezvous.counts.reverse).toBeGreaterThan(0);
  });

  it('punches through when neither side can be dialled, over UDX with the same TLS', async () => {
    const key = generateNetworkKey();
    const tracker = await network(key);
    const { data, hash } = await holderAt(tracker.port, key, '127.0.0.2', 2 * MiB);
    const downloader = await fx.peer(tracker.port, { networkKey: key, host: '127.0.0.3' });
    await announced(downloader.engine);
    const { file, routes } = await fetchWithRoutes(downloader.engine, hash);
    expect(await sha256File(file)).toBe(sha256(data));
    expect(routes.map((r) => r.path)).toEqual(['punched']);
    expect(tracker.control!.rendezvous.counts.punch).toBeGreaterThan(0);
  }, 30_000);

  it('falls back to the relay, which carries only the peers\' own TLS, within its cap', async () => {
    const key = generateNetworkKey();
    const tracker = await network(key, { relayLimitKiBps: 512 });
    const { data, hash } = await holderAt(tracker.port, key, '127.0.0.2', 2 * MiB, { punch: false });
    const downloader = await fx.peer(tracker.port, { networkKey: key, host: '127.0.0.3', punch: false });
    await announced(downloader.engine);
    const started = Date.now();
    const { file, routes } = await fetchWithRoutes(downloader.engine, hash);
    const seconds = (Date.now() - started) / 1000;
    expect(await sha256File(file)).toBe(sha256(data));
    expect(routes.map((r) => r.path)).toEqual(['relayed']);
    expect(tracker.relay!.bytesRelayed).toBeGreaterThan(2 * MiB);
    // 2 MiB under a 512 KiB/s cap: at least ~3.5 s (the first quarter second may burst).
    expect(seconds).toBeGreaterThan(3.2);
  }, 40_000);

  it('moves a relayed download onto a direct path when one appears (the router starts forwarding the holder\'s port)', async () => {
    const key = generateNetworkKey();
    const tracker = await network(key, { relayLimitKiBps: 512 });
    const { holder, data, hash } = await holderAt(tracker.port, key, '127.0.0.2', 8 * MiB, { punch: false });
    const downloader = await fx.peer(tracker.port, { networkKey: key, host: '127.0.0.3', punch: false, pathUpgradeMs: { first: 1500, every: 500 } });
    await announced(downloader.engine);
    const [item] = (await downloader.engine.list()).items.filter((i) => i.hash === hash);
    const fetching = downloader.engine.fetch(item!);
    // Under way over the relay…
    await eventually(() => (downloader.engine.downloads().find((d) => d.hash === hash)?.bytesDone ?? 0) > 0, 15_000, 'relayed bytes');
    expect(downloader.engine.downloads().find((d) => d.hash === hash)!.routes!.map((r) => r.path)).toEqual(['relayed']);
    // …then the listed address starts answering: a port forward to the holder, as a router's new mapping would be.
    const port = holder.engine.port;
    const forward = net.createServer((inbound) => {
      const outbound = net.connect(port, '127.0.0.2');
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((r) => forward.listen(port, '127.0.0.1', r));
    fx.defer(() => new Promise((r) => forward.close(() => r(undefined))));
    const file = await fetching;
    expect(await sha256File(file)).toBe(sha256(data));
    const routes = downloader.engine.downloads().find((d) => d.hash === hash)!.routes!;
    expect(routes.map((r) => [r.peer, r.path])).toEqual([[holder.engine.peerId.slice(0, 8), 'direct']]);
    expect(routes[0]!.bytes).toBe(8 * MiB);
    // The relay carried only the start: 8 MiB at its 512 KiB/s cap would have taken 16 s.
    expect(tracker.relay!.bytesRelayed).toBeLessThan(6 * MiB);
    await eventually(() => tracker.relay!.activePairs === 0, 10_000, 'the relayed pair closed');
  }, 60_000);

  it('lets no one use the relay without a session a member got from the tracker', async () => {
    const key = generateNetworkKey();
    const tracker = await network(key);
    const raw = net.connect(tracker.port, '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(encodePreface({ kind: PREFACE_RELAY, session: Buffer.alloc(16, 7), role: ROLE_REQUESTER }));
    raw.write(Buffer.alloc(1000, 1));
    await new Promise((resolve) => raw.once('close', resolve));
    expect(tracker.relay!.bytesRelayed).toBe(0);
    expect(tracker.relay!.activePairs).toBe(0);

    // A member asking for a peer id that is not a member online: refused, and no RING goes anywhere.
    const member = await fx.peer(tracker.port, { networkKey: key });
    await announced(member.engine);
    const control = (member.engine as unknown as { trackerPool: { connected(): { controlClient?: import('../electron/engine/tracker/control-client.js').ControlClient }[] } }).trackerPool.connected()[0]!.controlClient!;
    await expect(control.requestConnect('ab'.repeat(16), ConnectMethod.RELAY, Buffer.alloc(16))).rejects.toThrow(/not online there/);
    expect(tracker.relay!.activePairs).toBe(0);
  });

  it('relays through a reachable member that offers to, when the tracker relays for no one', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key, relay: false });
    const relayer = await fx.peer(tracker.port, { networkKey: key, offerRelay: { limitKiBps: 0 } });
    await eventually(() => controlOf(relayer.engine).reachableByDial === true, 10_000, 'the tracker found the relaying member reachable');
    const { data, hash } = await holderAt(tracker.port, key, '127.0.0.2', 2 * MiB, { punch: false });
    const downloader = await fx.peer(tracker.port, { networkKey: key, host: '127.0.0.3', punch: false });
    await announced(downloader.engine);
    const { file, routes } = await fetchWithRoutes(downloader.engine, hash);
    expect(await sha256File(file)).toBe(sha256(data));
    expect(routes.map((r) => r.path)).toEqual(['relayed']);
    // The member carried it, ciphertext and all, and the tracker carried nothing.
    expect(relayer.engine.memberRelay!.bytesRelayed).toBeGreaterThan(2 * MiB);
    expect(tracker.control!.rendezvous.counts.memberRelay).toBeGreaterThan(0);
    expect(tracker.relay).toBeUndefined();
  }, 40_000);

  it('a member relay splices only sessions a tracker opened, and a tracker without relays says so', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key, relay: false });
    const relayer = await fx.peer(tracker.port, { networkKey: key, offerRelay: { limitKiBps: 0 } });
    const raw = net.connect(relayer.engine.port, '127.0.0.1');
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(encodePreface({ kind: PREFACE_RELAY, session: Buffer.alloc(16, 7), role: ROLE_REQUESTER }));
    raw.write(Buffer.alloc(1000, 1));
    const started = Date.now();
    await new Promise((resolve) => raw.once('close', resolve));
    expect(Date.now() - started).toBeLessThan(3000); // it waited a moment for the tracker's word, no longer
    expect(relayer.engine.memberRelay!.bytesRelayed).toBe(0);
    expect(relayer.engine.memberRelay!.activePairs).toBe(0);

    // Members that don't offer are never picked: with only those, the relay method is refused.
    const plain = await fx.peer(tracker.port, { networkKey: key });
    const other = await fx.peer(tracker.port, { networkKey: key });
    await Promise.all([announced(plain.engine), announced(other.engine)]);
    await relayer.engine.stop();
    await expect(controlOf(plain.engine).requestConnect(other.engine.peerId, ConnectMethod.RELAY, Buffer.alloc(16))).rejects.toThrow(/does not relay/);
  });
});

function controlOf(engine: Engine): ControlClient {
  const pool = (engine as unknown as { trackerPool: { connected(): { controlClient?: ControlClient }[] } }).trackerPool;
  const control = pool.connected()[0]?.controlClient;
  if (!control) throw new Error('not joined over the control plane');
  return control;
}
