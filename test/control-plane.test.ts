import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DatagramType } from '../shared/protocol/datagram.js';
import type { FileAnnouncement } from '../shared/protocol/messages.js';
import type { AnnounceBatch } from '../electron/engine/control/announce-codec.js';
import { isDrop, openBody, sealBody, type CookieBody, type DatagramBody, type WelcomeBody } from '../electron/engine/control/datagram-codec.js';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { signJoin } from '../electron/engine/control/join-proof.js';
import { generateNetworkKey, type NetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { ControlClient, type ControlClientOptions, type ControlWelcome } from '../electron/engine/tracker/control-client.js';
import { TrackerServer } from '../electron/engine/tracker/tracker-server.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { hashOf } from './support/datagram-samples.js';
import { Fixtures, eventually } from './support/fixtures.js';

const INTERVAL_MS = 200;
const fx = new Fixtures();
afterEach(() => fx.cleanup());

let nextListenPort = 41_000;
const welcomes = new Map<ControlClient, ControlWelcome>();

function file(path: string): FileAnnouncement {
  return { path, size: path.length, hash: hashOf(path) };
}

function listed(tracker: TrackerServer): string[] {
  return tracker.state
    .list({ query: '', offset: 0, limit: 100 })
    .items.map((item) => item.name)
    .sort();
}

function member(tracker: TrackerServer, networkKey: NetworkKey | undefined, files: FileAnnouncement[], extra: Partial<ControlClientOptions> = {}): ControlClient {
  const client = new ControlClient({
    address: `127.0.0.1:${tracker.port}`,
    networkKey,
    identity: PeerIdentity.generate(),
    listenPort: nextListenPort++,
    files: () => files,
    retransmitMs: 100,
    backoffBaseMs: 100,
    backoffMaxMs: 500,
    trackerPeerId: tracker.peerId,
    ...extra,
  });
  client.on('connected', (welcome) => welcomes.set(client, welcome));
  client.start();
  fx.defer(() => client.stop());
  return client;
}

/** Joined and everything announced; the WELCOME it got. */
async function joined(client: ControlClient): Promise<ControlWelcome | undefined> {
  await client.waitConnected(5000);
  await client.flush();
  return welcomes.get(client);
}

/** A UDP socket on 127.0.0.x that keeps every datagram it receives. */
async function rawSocket(host = '127.0.0.1'): Promise<{ socket: dgram.Socket; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (datagram) => received.push(datagram));
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  fx.defer(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, received };
}

async function nextReply<T extends DatagramBody>(seal: DatagramSeal, received: Buffer[], at: number, type: number): Promise<T> {
  await eventually(() => received.length > at, 2000, `a reply of type ${type}`);
  const reply = openBody(seal, received[at]!);
  if (isDrop(reply) || reply.type !== type) throw new Error(`expected type ${type}, got ${JSON.stringify(reply)}`);
  return reply as T;
}

describe.each([
  ['sealed', generateNetworkKey()],
  ['open', undefined],
])('control plane, %s mode', (_mode, key) => {
  it('two members join and announce; a lookup finds the other at its address', async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    expect(tracker.control?.mode).toBe(key ? 'sealed' : 'open');
    const a = member(tracker, key, [file('a/one.txt'), file('a/two.txt')]);
    const b = member(tracker, key, [file('b/three.txt')]);
    const [welcomeA] = await Promise.all([joined(a), joined(b)]);
    expect(welcomeA).toMatchObject({ observedHost: '127.0.0.1', observedPort: nextListenPort - 2, intervalMs: INTERVAL_MS, trackerPeerId: tracker.peerId });
    expect(tracker.state.peerCount).toBe(2);
    expect(listed(tracker)).toEqual(['a/one.txt', 'a/two.txt', 'b/three.txt']);

    const found = await a.lookup(hashOf('b/three.txt'));
    expect(found).toEqual([{ peerId: b.peerId, host: '127.0.0.1', port: nextListenPort - 1 }]);
    expect(await a.lookup(hashOf('nobody has this'))).toEqual([]);
    expect(a.stats?.peers).toBe(2);
  });
});

describe('control plane (sealed)', () => {
  const key = generateNetworkKey();

  it("a member's changes reach the listing; an entry too long for a datagram goes to `oversized`", async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    const files = [file('keep.txt'), file('old.txt')];
    const a = member(tracker, key, files);
    await joined(a);
    expect(listed(tracker)).toEqual(['keep.txt', 'old.txt']);

    const generations: number[] = [];
    const oversized: AnnounceBatch[] = [];
    a.on('generation', (g) => generations.push(g));
    a.on('oversized', (batch) => oversized.push(batch));
    const long = file(Array.from({ length: 5 }, (_, i) => String.fromCharCode(100 + i).repeat(250)).join('/')); // 1254 bytes
    files.splice(1, 1, file('new.txt'), long);
    a.filesChanged();
    await a.flush();
    expect(listed(tracker)).toEqual(['keep.txt', 'new.txt']);
    expect(oversized).toEqual([{ add: [long], remove: [] }]);
    expect(generations.length).toBeGreaterThan(0);
    expect(a.stats?.generation).toBe(tracker.state.generation);
  });

  it('through a path that loses replies, each try goes with a new seq or nonce and gets through', async () => {
    // No dial-back: its REACH would be one more reply of the kind this relay counts.
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS, dialBack: false });
    // A relay that forwards every request and drops the 1st and 3rd reply of each type: a request
    // repeated with the same seq (or a JOIN with the same nonce) would be refused as a replay.
    const front = await rawSocket();
    const back = await rawSocket();
    let client: dgram.RemoteInfo | undefined;
    const seen = new Map<number, number>();
    let dropped = 0;
    front.socket.on('message', (datagram, from) => {
      client = from;
      back.socket.send(datagram, tracker.port, '127.0.0.1');
    });
    back.socket.on('message', (datagram) => {
      const type = datagram[2]!;
      const n = seen.get(type) ?? 0;
      seen.set(type, n + 1);
      if (n === 0 || n === 2) dropped++;
      else if (client) front.socket.send(datagram, client.port, client.address);
    });
    const b = member(tracker, key, [file('far.txt')]);
    const a = member(tracker, key, [file('near.txt')], { address: `127.0.0.1:${front.socket.address().port}` });
    await Promise.all([joined(a), joined(b)]);
    expect(listed(tracker)).toEqual(['far.txt', 'near.txt']);
    expect((await a.lookup(hashOf('far.txt'))).map((p) => p.peerId)).toEqual([b.peerId]);
    await sleep(3 * INTERVAL_MS); // heartbeats
    expect(a.connected).toBe(true);
    expect(dropped).toBe(5); // the first COOKIE, WELCOME and PEERS, the 1st and 3rd ACK
    expect(tracker.control!.drops.get('replayed')).toBe(0);
  });

  it('a clean stop (LEAVE) leaves the listing at once', async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    const a = member(tracker, key, [file('a.txt')]);
    const b = member(tracker, key, [file('b.txt')]);
    await Promise.all([joined(a), joined(b)]);
    expect(tracker.state.peerCount).toBe(2);
    const started = Date.now();
    await a.stop();
    await eventually(() => tracker.state.peerCount === 1, 100, 'the peer to leave');
    expect(Date.now() - started).toBeLessThan(150);
    expect(listed(tracker)).toEqual(['b.txt']);
  });

  it('a member that vanishes is dropped after a few intervals', async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    const a = member(tracker, key, [file('a.txt')]);
    await joined(a);
    const killed = Date.now();
    a.kill();
    await sleep(2 * INTERVAL_MS);
    expect(tracker.state.peerCount).toBe(1); // missing one beat is not leaving
    await eventually(() => tracker.state.peerCount === 0, 5 * INTERVAL_MS + 500, 'the vanished peer to be dropped');
    expect(Date.now() - killed).toBeLessThan(5 * INTERVAL_MS + 500);
    expect(listed(tracker)).toEqual([]);
  });

  it('forged, replayed, spoofed-source, oversized and truncated datagrams are refused, counted, and not answered', async () => {
    // A long interval: the hand-joined member must not expire during the test.
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: 10_000, dialBack: false }); // every answer counted: no REACH among them
    const drops = tracker.control!.drops;
    const seal = new DatagramSeal(key);
    const identity = PeerIdentity.generate();
    const { socket, received } = await rawSocket();
    const other = await rawSocket();
    const send = (datagram: Buffer, from = socket): void => from.send(datagram, tracker.port, '127.0.0.1');

    send(sealBody(seal, { type: DatagramType.INIT, clientNonce: randomBytes(8) }));
    const { cookie } = await nextReply<CookieBody>(seal, received, 0, DatagramType.COOKIE);
    send(sealBody(seal, signJoin(identity, { cookie, clientNonce: randomBytes(8), listenPort: 40_500 })));
    const { token } = await nextReply<WelcomeBody>(seal, received, 1, DatagramType.WELCOME);
    const heartbeat = (seq: number): Buffer => sealBody(seal, { type: DatagramType.HEARTBEAT, peerId: identity.peerId, token, seq });
    const first = heartbeat(1);
    send(first);
    await nextReply(seal, received, 2, DatagramType.ACK);
    expect(drops.total).toBe(0);

    const expectRefused = async (reason: Parameters<typeof drops.get>[0], times: number, act: () => void): Promise<void> => {
      const before = drops.get(reason);
      const answers = received.length + other.received.length;
      act();
      await eventually(() => drops.get(reason) === before + times, 2000, `${reason} counted`);
      await sleep(100);
      expect(received.length + other.received.length).toBe(answers);
    };
    await expectRefused('replayed', 1, () => send(first));
    await expectRefused('forged', 2, () => {
      const body = heartbeat(2);
      body[30]! ^= 0x01; // ciphertext
      send(body);
      const header = heartbeat(3);
      header[10]! ^= 0x80; // salt: part of the additional data
      send(header);
    });
    await expectRefused('spoofed_address', 1, () => send(heartbeat(4), other.socket));
    await expectRefused('too_large', 1, () => send(Buffer.concat([heartbeat(5), Buffer.alloc(1500 - 64)])));
    await expectRefused('truncated', 2, () => {
      send(Buffer.alloc(10));
      send(heartbeat(6).subarray(0, 30)); // header and less than a tag
    });
    expect(tracker.state.peerCount).toBe(1);

    // The member itself is unharmed: its next heartbeat is answered.
    send(heartbeat(7));
    await nextReply(seal, received, 3, DatagramType.ACK);
  });

  it('a flood from one address does not starve a member on another', async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    const a = member(tracker, key, []);
    const b = member(tracker, key, [file('wanted.bin')]);
    await Promise.all([joined(a), joined(b)]);
    let disconnected = 0;
    a.on('disconnected', () => disconnected++);

    const flooder = await rawSocket('127.0.0.2');
    const init = sealBody(new DatagramSeal(key), { type: DatagramType.INIT, clientNonce: randomBytes(8) });
    const FLOOD = 20_000;
    const started = Date.now();
    let flooding = true;
    const flood = (async () => {
      for (let sent = 0; sent < FLOOD; sent += 500) {
        for (let i = 0; i < 500; i++) flooder.socket.send(init, tracker.port, '127.0.0.1');
        await sleep(10);
      }
      flooding = false;
    })();
    let lookups = 0;
    while (flooding || lookups < 5) {
      const peers = await a.lookup(hashOf('wanted.bin'));
      expect(peers.map((p) => p.port)).toEqual([nextListenPort - 1]);
      lookups++;
      await sleep(20);
    }
    await flood;
    expect(Date.now() - started).toBeLessThan(15_000);
    await sleep(2 * INTERVAL_MS); // heartbeats through the tail of the flood
    expect(tracker.control!.drops.get('rate_limited')).toBeGreaterThan(FLOOD / 2);
    expect(disconnected).toBe(0);
    expect(a.connected).toBe(true);
    expect(tracker.state.peerCount).toBe(2);
  });

  it('a member holding another network key gets no answer and reports the tracker unreachable', async () => {
    const tracker = await fx.tracker({ networkKey: key, minIntervalMs: INTERVAL_MS });
    const warnings: string[] = [];
    const stranger = member(tracker, generateNetworkKey(), [file('x.txt')], { retransmitMs: 50 });
    stranger.on('warning', (w) => warnings.push(w));
    await expect(stranger.waitConnected(1500)).rejects.toMatchObject({ code: 'tracker_unreachable' });
    await eventually(() => warnings.some((w) => w.includes('unreachable')), 2000, 'an unreachable warning');
    expect(stranger.connected).toBe(false);
    expect(tracker.control!.drops.get('forged')).toBeGreaterThanOrEqual(4);
    expect(tracker.control!.answered).toBe(0);
    expect(tracker.state.peerCount).toBe(0);
  });

  it('a restarted tracker is refilled by its members by themselves', async () => {
    const options = { host: '127.0.0.1', networkKey: key, transport: tlsTransport(key), minIntervalMs: INTERVAL_MS };
    const first = new TrackerServer({ port: 0, ...options });
    await first.start();
    const a = member(first, key, [file('survives.txt')], { trackerPeerId: undefined });
    await joined(a);
    let connections = 0;
    a.on('connected', () => connections++);
    await first.stop();

    const second = new TrackerServer({ port: first.port, ...options });
    await second.start();
    fx.defer(() => second.stop());
    const restarted = Date.now();
    await eventually(() => listed(second).includes('survives.txt'), 3000, 'the member to announce again');
    expect(Date.now() - restarted).toBeLessThan(4 * INTERVAL_MS + 500);
    expect(connections).toBe(1);
    expect(second.control!.drops.get('unknown_peer')).toBeGreaterThanOrEqual(1);
  });
});
