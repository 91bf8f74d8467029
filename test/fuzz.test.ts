import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeControl } from '../electron/engine/wire/frame-codec.js';
import type { WireMessage } from '../shared/protocol/messages.js';
import { Fixtures, announced, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { flood } from './support/flood.js';
import { prng } from './support/prng.js';

/**
 * Throws at least 100,000 random and mutated frames at a tracker and at a
 * peer, over many connections, while an honest download runs. Bounded in
 * frames and in time. The framing and validation under test are the same
 * code that runs inside TLS, so the fuzz runs on plain TCP to spend its time
 * on our parser rather than on encryption. Meanwhile a second address
 * floods both targets with idle connections that never say hello.
 */
const FRAMES_PER_TARGET = 100_000;
// The pre-handshake flood from another address runs meanwhile and takes its share of two cores.
const TIME_BUDGET_MS = 70_000;
const CONNECTIONS = 6;
/** Idle connections another address keeps open (and reopens) at each target meanwhile: the pre-handshake flood. */
const FLOOD_CONNECTIONS = 300;

const fx = new Fixtures();
afterEach(() => fx.cleanup());


function frameOf(kind: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(payload.length + 1, 0);
  header[4] = kind;
  return Buffer.concat([header, payload]);
}

const WEIRD_VALUES: unknown[] = [null, -1, 0, 1.5, 2 ** 53, 'x'.repeat(600), '', '../../etc/passwd', 'CON', '\u0000', [], {}, true, 'a'.repeat(64), 'f'.repeat(64)];

/** A frame: mostly schema-shaped messages with mutated fields, sometimes raw garbage. */
function fuzzFrame(rand: () => number, target: 'tracker' | 'peer'): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  const roll = rand();
  if (roll < 0.02) {
    const junk = Buffer.alloc(1 + Math.floor(rand() * 64));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rand() * 256);
    return junk; // raw bytes, possibly a huge length prefix
  }
  if (roll < 0.03) return frameOf(1, Buffer.alloc(Math.floor(rand() * 8))); // piece frames a server never expects
  if (roll < 0.04) return frameOf(0, Buffer.from(pick(['{', '[]', 'null', '"x"', '{"type":', '{"type":"ping","id":1}}'])));
  const base: Record<string, unknown> =
    target === 'tracker'
      ? pick([
          { type: 'ping', id: Math.floor(rand() * 1000) },
          { type: 'list', id: 1, query: hex(Math.floor(rand() * 6)), offset: Math.floor(rand() * 50), limit: 1 + Math.floor(rand() * 20) },
          { type: 'lookup', id: 2, hash: hex(64) },
          { type: 'list', id: 3, query: '', offset: 0, limit: 5, sort: pick(['name', 'size', 'peers', 'hash']), descending: rand() < 0.5 },
        ])
      : pick([
          { type: 'ping', id: 5 },
          { type: 'get-meta', id: 6, hash: hex(64) },
          { type: 'get-hashes', id: 7, hash: hex(64), from: Math.floor(rand() * 4), count: 1 + Math.floor(rand() * 4) },
          { type: 'request', id: 8, hash: hex(64), index: Math.floor(rand() * 4) },
          { type: 'cancel', id: 9 },
        ]);
  if (rand() < 0.06) {
    // Mutate: a field gets a weird value, an unknown field appears, or the type changes.
    const keys = Object.keys(base);
    const r = rand();
    if (r < 0.5) base[pick(keys)] = pick(WEIRD_VALUES);
    else if (r < 0.75) base[`x${hex(3)}`] = pick(WEIRD_VALUES);
    else base.type = pick(['announce', 'hello', 'welcome', 'bye', 'error', 'listing', hex(5)]);
  }
  return encodeControl(base as unknown as WireMessage);
}

/** Keeps connecting and writing frames until the server has received `FRAMES_PER_TARGET` of them (or time runs out). */
async function fuzz(port: number, target: 'tracker' | 'peer', seed: number, deadline: number, received: () => number): Promise<{ frames: number; connections: number }> {
  let frames = 0;
  let connections = 0;
  const worker = async (w: number) => {
    const rand = prng(seed + w * 7919);
    while (received() < FRAMES_PER_TARGET && Date.now() < deadline) {
      const socket = net.connect(port, '127.0.0.1');
      connections++;
      socket.on('error', () => {});
      socket.on('data', () => {}); // replies are read and dropped
      await new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('close', () => resolve());
      });
      // Usually a proper hello first, so the fuzz reaches the message handlers.
      if (rand() < 0.9) socket.write(encodeControl({ type: 'hello', protocol: 'p2pshare', versions: [1], peerId: (w + 10).toString(16).padStart(32, '0'), listenPort: 0 }));
      let open = true;
      socket.once('close', () => (open = false));
      while (open && received() < FRAMES_PER_TARGET && Date.now() < deadline) {
        const batch: Buffer[] = [];
        for (let i = 0; i < 4; i++) batch.push(fuzzFrame(rand, target));
        frames += batch.length;
        if (!socket.write(Buffer.concat(batch))) await new Promise((r) => setTimeout(r, 1));
        await new Promise((r) => setImmediate(r));
      }
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
  return { frames, connections };
}

describe('fuzz', () => {
  it('survives 100,000+ random and mutated frames each at a tracker and a peer while an honest download completes', async () => {
    const tracker = await fx.tracker({ maxConnectionsPerAddress: 64 });
    const warnings: string[] = [];
    tracker.on('warning', (w) => warnings.push(w));
    const seedFolder = await fx.tempDir();
    const data = await writeRandomFile(path.join(seedFolder, 'honest.bin'), 24 * 1024 * 1024);
    const seeder = await fx.peer(tracker.port, { folder: seedFolder, uploadLimit: 6 * 1024 * 1024 });
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port);
    await announced(leecher.engine);
    const [item] = (await leecher.engine.list()).items;

    if (global.gc) global.gc();
    const rssBefore = process.memoryUsage().rss;
    const deadline = Date.now() + TIME_BUDGET_MS;
    const floods = [flood(tracker.port, FLOOD_CONNECTIONS), flood(seeder.engine.port, FLOOD_CONNECTIONS)];
    fx.defer(() => floods.forEach((f) => f.stop()));
    await Promise.all(floods.map((f) => f.connected(FLOOD_CONNECTIONS)));
    const honest = leecher.engine.fetch(item!);
    const seederServer = seeder.engine.peerServer!;
    const [atTracker, atPeer] = await Promise.all([
      fuzz(tracker.port, 'tracker', 1234, deadline, () => tracker.framesReceived),
      fuzz(seeder.engine.port, 'peer', 5678, deadline, () => seederServer.framesReceived),
    ]);
    await new Promise((r) => setTimeout(r, 200)); // let the last closes be counted
    const finalPath = await honest;
    const flooded = floods.map((f) => f.stats().opened);
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    // Counted by the servers: frames that reached the decoder, not merely written.
    expect(tracker.framesReceived).toBeGreaterThanOrEqual(FRAMES_PER_TARGET);
    expect(seederServer.framesReceived).toBeGreaterThanOrEqual(FRAMES_PER_TARGET);
    expect(await sha256File(finalPath)).toBe(sha256(data));
    // Still serving after the storm.
    expect((await leecher.engine.list()).items.map((i) => i.name)).toContain('honest.bin');
    expect(warnings.length).toBeGreaterThan(0); // bad frames were noticed, not crashed on
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024);
    console.log(
      `fuzz: tracker received ${tracker.framesReceived} frames (${atTracker.frames} sent over ${atTracker.connections} connections), ` +
        `peer received ${seederServer.framesReceived} (${atPeer.frames} sent over ${atPeer.connections}), ` +
        `flood connections opened: ${flooded.join(' and ')}, RSS +${Math.round(rssGrowth / 1048576)} MiB`,
    );
  }, 120_000);
});
