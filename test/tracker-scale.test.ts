import { afterEach, describe, expect, it } from 'vitest';
import { TrackerClient } from '../electron/engine/tracker/tracker-client.js';
import type { FileAnnouncement } from '../shared/protocol/messages.js';
import { Fixtures, eventually } from './support/fixtures.js';

/** CI-sized: 2,000 simulated peers × 50 files against one tracker on loopback. */
const PEERS = 2000;
const FILES_PER_PEER = 50;
const CONTENTS = 5000; // each content is held by PEERS × FILES_PER_PEER / CONTENTS = 20 peers

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const hashOf = (c: number) => c.toString(16).padStart(64, '0');
const nameOf = (c: number) => `library/file-${String(c).padStart(5, '0')}.dat`;

describe('one tracker at scale', () => {
  it('serves 2,000 peers × 50 files with correct answers, within bounded time', async () => {
    const tracker = await fx.tracker({ maxConnectionsPerAddress: PEERS + 10, maxHandshakes: PEERS + 10, maxHandshakesPerAddress: PEERS + 10 });
    const started = Date.now();
    const clients: TrackerClient[] = [];
    for (let p = 0; p < PEERS; p++) {
      const files: FileAnnouncement[] = [];
      for (let i = 0; i < FILES_PER_PEER; i++) {
        const c = (p * FILES_PER_PEER + i) % CONTENTS;
        files.push({ path: nameOf(c), size: 1000 + c, hash: hashOf(c) });
      }
      const client = new TrackerClient({ address: `127.0.0.1:${tracker.port}`, peerId: p.toString(16).padStart(32, '0'), listenPort: 10_000 + p, files: () => files });
      clients.push(client);
      client.start();
    }
    fx.defer(() => Promise.all(clients.map((c) => c.stop())));
    await eventually(() => clients.every((c) => c.connected), 30_000, 'all connected');
    await Promise.all(clients.map((c) => c.flush()));
    const announcedIn = Date.now() - started;
    expect(tracker.state.peerCount).toBe(PEERS);
    expect(tracker.state.entries).toBe(CONTENTS);

    // Answers stay correct: listing totals, paging, per-row holder counts, lookups.
    const asker = clients[0]!;
    const first = await asker.list({ offset: 0, limit: 1000 });
    expect(first.total).toBe(CONTENTS);
    expect(first.items[0]!.name).toBe(nameOf(0));
    expect(first.items.every((i) => i.peers === 20)).toBe(true);
    let seen = 0;
    for (let offset = 0; offset < first.total; ) {
      const page = await asker.list({ offset, limit: 1000 });
      seen += page.items.length;
      offset += page.items.length;
    }
    expect(seen).toBe(CONTENTS);
    const searched = await asker.list({ query: 'file-0424', limit: 100 });
    expect(searched.items.map((i) => i.name)).toEqual(Array.from({ length: 10 }, (_, k) => nameOf(4240 + k)));
    const holders = await clients[1]!.lookup(hashOf(123));
    // Content 123 is announced by peers p where (p*50+i) % 5000 = 123: p ≡ 2 (mod 100), i = 23.
    expect(holders.map((h) => h.port).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => 10_000 + 2 + k * 100));

    // Lookups at rate, from many connections at once.
    const lookupsStarted = Date.now();
    await Promise.all(clients.slice(0, 500).map((c, k) => c.lookup(hashOf(k * 7))));
    const lookupMs = Date.now() - lookupsStarted;

    // Half the peers leave: counts follow.
    await Promise.all(clients.slice(0, PEERS / 2).map((c) => c.stop()));
    await eventually(() => tracker.state.peerCount === PEERS / 2, 10_000, 'half gone');
    const after = await clients[PEERS - 1]!.list({ offset: 0, limit: 10 });
    expect(after.total).toBe(CONTENTS);
    expect(after.items.every((i) => i.peers === 10)).toBe(true);
    console.log(`tracker scale: ${PEERS} peers × ${FILES_PER_PEER} files announced in ${announcedIn} ms; 500 concurrent lookups in ${lookupMs} ms`);
  }, 90_000);
});
