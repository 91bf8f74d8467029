import { describe, expect, it } from 'vitest';
import { TrackerState, type PeerRecord } from '../electron/engine/tracker/tracker-state.js';
import { MAX_LOOKUP_PEERS } from '../shared/protocol/limits.js';
import type { FileAnnouncement, ListingItem } from '../shared/protocol/messages.js';

/**
 * The compact TrackerState (typed arrays, pooled blocks, slot reuse) checked against a plain
 * model with one Map per peer, over long random sequences of sessions starting and ending,
 * announces, resets, removals, and files moving between contents and names. Growth and
 * shrinking of file sets (array ↔ hash set) and holder arrays, block moves on free, and slot
 * and id reuse all happen along the way.
 */

interface ModelPeer {
  record: PeerRecord;
  peerId: string;
  host: string;
  port: number;
  files: Map<string, string>; // path → hash
}

class Model {
  peers = new Map<number, ModelPeer>(); // by session
  sizes = new Map<string, number>(); // hash → size, while someone holds it
  private refs = new Map<string, number>(); // hash → (peer, path) entries pointing at it

  setFile(p: ModelPeer, path: string, hash: string, size: number): void {
    this.deleteFile(p, path);
    p.files.set(path, hash);
    this.refs.set(hash, (this.refs.get(hash) ?? 0) + 1);
    this.sizes.set(hash, size);
  }

  deleteFile(p: ModelPeer, path: string): void {
    const hash = p.files.get(path);
    if (hash === undefined) return;
    p.files.delete(path);
    const left = this.refs.get(hash)! - 1;
    if (left > 0) this.refs.set(hash, left);
    else {
      this.refs.delete(hash);
      this.sizes.delete(hash);
    }
  }

  removePeer(p: ModelPeer): void {
    for (const path of [...p.files.keys()]) this.deleteFile(p, path);
    this.peers.delete(p.record.session);
  }

  holders(): Map<string, Set<ModelPeer>> {
    const out = new Map<string, Set<ModelPeer>>();
    for (const p of this.peers.values()) {
      for (const h of p.files.values()) {
        let set = out.get(h);
        if (!set) out.set(h, (set = new Set()));
        set.add(p);
      }
    }
    return out;
  }

  rows(holders: Map<string, Set<ModelPeer>>): ListingItem[] {
    const pairs = new Map<string, { name: string; hash: string }>();
    for (const p of this.peers.values()) for (const [name, hash] of p.files) pairs.set(`${name}\u0000${hash}`, { name, hash });
    return [...pairs.values()]
      .map(({ name, hash }) => ({ name, size: this.sizes.get(hash)!, hash, peers: holders.get(hash)!.size }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  }
}

/** Deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hashOf = (n: number) => n.toString(16).padStart(64, '0');
const idOf = (n: number) => n.toString(16).padStart(32, '0');

function check(state: TrackerState, model: Model, step: number): void {
  const where = `after step ${step}`;
  expect(state.peerCount, where).toBe(model.peers.size);
  const all = model.holders();
  const rows = model.rows(all);
  const listed = state.list({ query: '', offset: 0, limit: 100_000 });
  expect(listed.items, where).toEqual(rows);
  expect(state.entries, where).toBe(rows.length);
  expect(state.contentCount, where).toBe(new Set(rows.map((r) => r.hash)).size);
  for (const p of model.peers.values()) expect(state.hasPeer(p.record), where).toBe(true);
  // Every content: the lookup returns exactly its holders (up to the cap), with their addresses.
  for (const [hash, holders] of all) {
    const found = state.lookup(hash)!;
    expect(found.size, where).toBe(model.sizes.get(hash));
    const expected = [...holders].map((p) => ({ peerId: p.peerId, host: p.host, port: p.port }));
    if (expected.length <= MAX_LOOKUP_PEERS) {
      expect([...found.peers].sort((a, b) => a.peerId.localeCompare(b.peerId)), where).toEqual(expected.sort((a, b) => a.peerId.localeCompare(b.peerId)));
    } else {
      expect(found.peers, where).toHaveLength(MAX_LOOKUP_PEERS);
    }
    // Excluding a holder leaves it out and keeps the others.
    const first = [...holders][0]!;
    const without = state.lookup(hash, first.record)!;
    expect(without.peers.some((x) => x.peerId === first.peerId), where).toBe(false);
    expect(without.peers, where).toHaveLength(Math.min(MAX_LOOKUP_PEERS, holders.size - 1));
  }
}

function runScenario(seed: number, steps: number, options: { peers: number; paths: number; contents: number; maxBatch: number; maxRemove?: number }): void {
  const random = rng(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const state = new TrackerState();
  const model = new Model();
  let nextId = 1;
  for (let step = 0; step < steps; step++) {
    const live = [...model.peers.values()];
    const roll = random();
    if (live.length === 0 || (roll < 0.08 && live.length < options.peers)) {
      // A session starts; sometimes it reuses a live peer id or address, replacing that session.
      const reuse = live.length > 0 && random() < 0.2 ? live[pick(live.length)]! : undefined;
      const byAddress = reuse !== undefined && random() < 0.5;
      const peerId = reuse && !byAddress ? reuse.peerId : idOf(nextId++);
      const host = reuse && byAddress ? reuse.host : random() < 0.8 ? `10.0.${pick(4)}.${pick(256)}` : `host-${pick(50)}`;
      const port = reuse && byAddress ? reuse.port : 1 + pick(65535);
      const { peer, replaced } = state.addPeer(peerId, host, port);
      const gone = live.filter((p) => p.peerId === peerId || (p.host === host && p.port === port));
      expect(replaced.map((r) => r.session).sort()).toEqual(gone.map((p) => p.record.session).sort());
      for (const p of gone) {
        model.removePeer(p);
        expect(state.hasPeer(p.record)).toBe(false);
      }
      expect([peer.peerId, peer.host, peer.port]).toEqual([peerId, host, port]);
      model.peers.set(peer.session, { record: peer, peerId, host, port, files: new Map() });
    } else if (roll < 0.13) {
      // A session ends; its record stays readable.
      const p = live[pick(live.length)]!;
      state.removePeer(p.record);
      state.removePeer(p.record); // twice is harmless
      model.removePeer(p);
      expect([p.record.peerId, p.record.host, p.record.port]).toEqual([p.peerId, p.host, p.port]);
    } else {
      // An announce: maybe a reset, some removals (known and unknown paths), some additions.
      const p = live[pick(live.length)]!;
      const reset = random() < 0.05;
      const known = [...p.files.keys()];
      const remove = Array.from({ length: pick((options.maxRemove ?? 2) + 1) }, () => (known.length > 0 && random() < 0.8 ? known[pick(known.length)]! : `dir/file-${pick(options.paths)}`));
      const add: FileAnnouncement[] = Array.from({ length: pick(options.maxBatch + 1) }, () => {
        const c = pick(options.contents);
        // Now and then a size that contradicts the content hash: refused while someone holds it.
        const size = random() < 0.03 ? 999_999 : 1000 + c;
        return { path: `dir/file-${pick(options.paths)}`, size, hash: hashOf(c) };
      });
      let refused = 0;
      if (reset) for (const path of [...p.files.keys()]) model.deleteFile(p, path);
      for (const path of remove) model.deleteFile(p, path);
      for (const f of add) {
        const known = model.sizes.get(f.hash);
        if (known !== undefined && known !== f.size) {
          refused++;
          continue;
        }
        model.setFile(p, f.path, f.hash, f.size);
      }
      expect(state.announce(p.record, { reset, add, remove })).toBe(refused);
    }
    if (step % 25 === 0 || step === steps - 1) check(state, model, step);
  }
}

describe('TrackerState against a plain model', () => {
  it('small files sets and few contents: many names per content, many contents per name', () => {
    for (const seed of [1, 2, 3]) runScenario(seed, 1500, { peers: 30, paths: 40, contents: 12, maxBatch: 6 });
  });

  it('peers with hundreds of files (hash-set file tables growing and shrinking)', () => {
    runScenario(7, 600, { peers: 12, paths: 2000, contents: 400, maxBatch: 120, maxRemove: 100 });
  });

  it('popular contents with many holders (sorted holder arrays growing and shrinking)', () => {
    runScenario(11, 2500, { peers: 300, paths: 6, contents: 4, maxBatch: 3 });
  });
});

describe('TrackerState slot reuse', () => {
  it('a new session in a reused slot is a different session; the old record stays readable and inert', () => {
    const state = new TrackerState();
    const a = state.addPeer(idOf(1), '10.0.0.1', 1000).peer;
    state.announce(a, { reset: true, add: [{ path: 'x', size: 1, hash: hashOf(1) }], remove: [] });
    state.removePeer(a);
    const b = state.addPeer(idOf(2), '10.0.0.2', 2000).peer;
    expect(b.slot).toBe(a.slot);
    expect(b.session).not.toBe(a.session);
    expect(state.hasPeer(a)).toBe(false);
    expect([a.peerId, a.host, a.port]).toEqual([idOf(1), '10.0.0.1', 1000]);
    // The ended session can neither announce, nor be removed, nor be excluded in place of the new one.
    expect(state.announce(a, { reset: false, add: [{ path: 'y', size: 2, hash: hashOf(2) }], remove: [] })).toBe(0);
    state.removePeer(a);
    expect(state.hasPeer(b)).toBe(true);
    state.announce(b, { reset: true, add: [{ path: 'z', size: 3, hash: hashOf(3) }], remove: [] });
    expect(state.lookup(hashOf(3), a)?.peers).toEqual([{ peerId: idOf(2), host: '10.0.0.2', port: 2000 }]);
    expect(state.lookup(hashOf(1))).toBeUndefined();
    expect(state.list({ query: '', offset: 0, limit: 10 }).items.map((i) => i.name)).toEqual(['z']);
  });

  it('listing counts stay right through thousands of sessions coming and going', () => {
    const state = new TrackerState();
    const live: PeerRecord[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 200; i++) {
        const n = round * 1000 + i;
        const { peer } = state.addPeer(idOf(n + 1), `10.${round}.${i >> 8}.${i & 255}`, 4000);
        state.announce(peer, { reset: true, add: Array.from({ length: 10 }, (_, f) => ({ path: `shared/f${(i + f) % 50}`, size: 7, hash: hashOf((i + f) % 50) })), remove: [] });
        live.push(peer);
      }
      // Half of everyone leaves, oldest first.
      for (const peer of live.splice(0, live.length / 2)) state.removePeer(peer);
      const rows = state.list({ query: '', offset: 0, limit: 1000 });
      expect(rows.total).toBe(50);
      expect(rows.items.every((r) => r.peers === state.lookup(r.hash)!.peers.length || r.peers > MAX_LOOKUP_PEERS)).toBe(true);
      expect(state.peerCount).toBe(live.length);
    }
    for (const peer of live.splice(0)) state.removePeer(peer);
    expect([state.peerCount, state.entries, state.contentCount]).toEqual([0, 0, 0]);
    expect(state.list({ query: '', offset: 0, limit: 10 })).toEqual({ total: 0, items: [] });
  });

  it('one peer holding a content under several names is one holder until its last name goes', () => {
    const state = new TrackerState();
    const a = state.addPeer(idOf(1), '10.0.0.1', 1).peer;
    const b = state.addPeer(idOf(2), '10.0.0.2', 1).peer;
    const h = hashOf(5);
    state.announce(a, { reset: false, add: ['a', 'b', 'c'].map((path) => ({ path, size: 5, hash: h })), remove: [] });
    state.announce(b, { reset: false, add: [{ path: 'b', size: 5, hash: h }], remove: [] });
    expect(state.lookup(h)!.peers).toHaveLength(2);
    state.announce(a, { reset: false, add: [], remove: ['a', 'b'] });
    expect(state.lookup(h)!.peers).toHaveLength(2);
    expect(state.list({ query: '', offset: 0, limit: 10 }).items.map((i) => [i.name, i.peers])).toEqual([
      ['b', 2],
      ['c', 2],
    ]);
    state.announce(a, { reset: false, add: [], remove: ['c'] });
    expect(state.lookup(h)!.peers.map((p) => p.peerId)).toEqual([idOf(2)]);
  });

  it('rejects a peer id that is not 32 lower-case hex digits', () => {
    expect(() => new TrackerState().addPeer('not-an-id', 'h', 1)).toThrow(RangeError);
  });
});
