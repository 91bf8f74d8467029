import { describe, it, expect } from 'vitest';
import { TrackerState, type PeerRecord } from '../electron/engine/tracker/tracker-state.js';
import { MAX_LOOKUP_PEERS } from '../shared/protocol/limits.js';
import type { FileAnnouncement, ListingItem } from '../shared/protocol/messages.js';

/** A 64-hex-digit content hash made by repeating one hex digit pattern. */
function hash(seed: string): string {
  return seed.repeat(Math.ceil(64 / seed.length)).slice(0, 64);
}

function peerId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

const H1 = hash('1');
const H2 = hash('2');
const H3 = hash('3');
const HAB = `abcd${hash('0').slice(4)}`;

function file(path: string, size: number, h: string): FileAnnouncement {
  return { path, size, hash: h };
}

function add(state: TrackerState, peer: PeerRecord, ...files: FileAnnouncement[]): void {
  state.announce(peer, { reset: false, add: files, remove: [] });
}

function listAll(state: TrackerState, query = '', extra: Partial<{ sort: 'name' | 'size' | 'peers'; descending: boolean }> = {}) {
  return state.list({ query, offset: 0, limit: 1000, ...extra });
}

function names(items: ListingItem[]): string[] {
  return items.map((i) => i.name);
}

describe('TrackerState peers', () => {
  it('counts peers and hands out distinct sessions', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    const b = state.addPeer(peerId(2), '10.0.0.2', 4000).peer;
    expect(state.peerCount).toBe(2);
    expect(a.session).not.toBe(b.session);
    expect(state.hasPeer(a)).toBe(true);
    expect(state.hasPeer(b)).toBe(true);
  });

  it('keeps two peers on the same host with different ports', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    const b = state.addPeer(peerId(2), '10.0.0.1', 4001).peer;
    expect(state.peerCount).toBe(2);
    expect(state.hasPeer(a) && state.hasPeer(b)).toBe(true);
  });

  it('a peer re-added with the same peerId replaces the old session and its files', () => {
    const state = new TrackerState();
    const old = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    add(state, old, file('old.txt', 10, H1));
    const fresh = state.addPeer(peerId(1), '10.0.0.9', 5000).peer;
    expect(state.peerCount).toBe(1);
    expect(state.hasPeer(old)).toBe(false);
    expect(state.hasPeer(fresh)).toBe(true);
    expect(fresh.session).not.toBe(old.session);
    expect(listAll(state).total).toBe(0);
    expect(state.lookup(H1)).toBeUndefined();
  });

  it('a peer re-added on the same host:port replaces the old session', () => {
    const state = new TrackerState();
    const old = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    add(state, old, file('old.txt', 10, H1));
    const fresh = state.addPeer(peerId(2), '10.0.0.1', 4000).peer;
    expect(state.peerCount).toBe(1);
    expect(state.hasPeer(old)).toBe(false);
    expect(state.hasPeer(fresh)).toBe(true);
    expect(listAll(state).items).toEqual([]);
  });

  it('ignores announcements from a replaced session', () => {
    const state = new TrackerState();
    const old = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    state.addPeer(peerId(1), '10.0.0.1', 4000);
    add(state, old, file('ghost.txt', 1, H1));
    expect(listAll(state).total).toBe(0);
    expect(state.contentCount).toBe(0);
  });

  it('removing a peer removes its rows and decrements shared counts', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    add(state, a, file('shared.bin', 100, H1), file('only-a.txt', 5, H2));
    add(state, b, file('shared.bin', 100, H1));
    expect(listAll(state).items).toEqual([
      { name: 'only-a.txt', size: 5, hash: H2, peers: 1 },
      { name: 'shared.bin', size: 100, hash: H1, peers: 2 },
    ]);

    state.removePeer(a);
    expect(state.peerCount).toBe(1);
    expect(state.hasPeer(a)).toBe(false);
    expect(listAll(state).items).toEqual([{ name: 'shared.bin', size: 100, hash: H1, peers: 1 }]);
    expect(state.contentCount).toBe(1);
    expect(state.entries).toBe(1);
    expect(state.lookup(H2)).toBeUndefined();

    state.removePeer(b);
    expect(listAll(state).total).toBe(0);
    expect(state.contentCount).toBe(0);
    expect(state.entries).toBe(0);
  });

  it('removing a peer twice is harmless', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    add(state, b, file('x', 1, H1));
    state.removePeer(a);
    state.removePeer(a);
    expect(state.peerCount).toBe(1);
    expect(listAll(state).total).toBe(1);
  });
});

describe('TrackerState announce', () => {
  it('one row per (name, hash); peers counts distinct holders of the content', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    const c = state.addPeer(peerId(3), 'c', 1).peer;
    add(state, a, file('movie.mkv', 700, H1));
    add(state, b, file('movie.mkv', 700, H1));
    add(state, c, file('movie.mkv', 900, H2)); // same name, other content
    const { total, items } = listAll(state);
    expect(total).toBe(2);
    expect(items).toEqual([
      { name: 'movie.mkv', size: 700, hash: H1, peers: 2 },
      { name: 'movie.mkv', size: 900, hash: H2, peers: 1 },
    ]);
    expect(state.entries).toBe(2);
    expect(state.contentCount).toBe(2);
  });

  it('the same content under two names gives two rows sharing one holder count', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    add(state, a, file('report.pdf', 50, H1));
    add(state, b, file('archive/report-copy.pdf', 50, H1));
    expect(listAll(state).items).toEqual([
      { name: 'archive/report-copy.pdf', size: 50, hash: H1, peers: 2 },
      { name: 'report.pdf', size: 50, hash: H1, peers: 2 },
    ]);
    expect(state.contentCount).toBe(1);
    expect(state.entries).toBe(2);
    expect(state.lookup(H1)?.peers).toHaveLength(2);
  });

  it('one peer holding the same content under two names counts once', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('one.txt', 3, H1), file('two.txt', 3, H1));
    expect(listAll(state).items.map((i) => [i.name, i.peers])).toEqual([
      ['one.txt', 1],
      ['two.txt', 1],
    ]);
    // Dropping one of the names keeps the peer as a holder.
    state.announce(a, { reset: false, add: [], remove: ['one.txt'] });
    expect(listAll(state).items).toEqual([{ name: 'two.txt', size: 3, hash: H1, peers: 1 }]);
    expect(state.lookup(H1)?.peers.map((p) => p.peerId)).toEqual([peerId(1)]);
  });

  it('re-announcing a path with new content replaces the old row', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('notes.txt', 3, H1));
    add(state, a, file('notes.txt', 4, H2));
    expect(listAll(state).items).toEqual([{ name: 'notes.txt', size: 4, hash: H2, peers: 1 }]);
    expect(state.lookup(H1)).toBeUndefined();
    expect(state.contentCount).toBe(1);
  });

  it('re-announcing an unchanged file changes nothing', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('same.txt', 3, H1));
    add(state, a, file('same.txt', 3, H1));
    expect(listAll(state).items).toEqual([{ name: 'same.txt', size: 3, hash: H1, peers: 1 }]);
    expect(state.entries).toBe(1);
  });

  it('a reset announce replaces everything the peer had', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    add(state, a, file('a1', 1, H1), file('a2', 2, H2));
    add(state, b, file('b1', 1, H1));
    state.announce(a, { reset: true, add: [file('a3', 3, H3)], remove: [] });
    expect(listAll(state).items).toEqual([
      { name: 'a3', size: 3, hash: H3, peers: 1 },
      { name: 'b1', size: 1, hash: H1, peers: 1 },
    ]);
    expect(state.lookup(H2)).toBeUndefined();
    expect(state.contentCount).toBe(2);
  });

  it('a reset announce with nothing to add clears the peer', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('a1', 1, H1));
    state.announce(a, { reset: true, add: [], remove: [] });
    expect(listAll(state).total).toBe(0);
    expect(state.contentCount).toBe(0);
    expect(state.hasPeer(a)).toBe(true);
  });

  it('removes named paths and ignores paths it never had', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('keep', 1, H1), file('drop', 2, H2));
    state.announce(a, { reset: false, add: [], remove: ['drop', 'never-there'] });
    expect(names(listAll(state).items)).toEqual(['keep']);
    expect(state.entries).toBe(1);
  });

  it("removing a path from one peer does not touch another peer's copy", () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    add(state, a, file('x', 1, H1));
    add(state, b, file('x', 1, H1));
    state.announce(a, { reset: false, add: [], remove: ['x'] });
    expect(listAll(state).items).toEqual([{ name: 'x', size: 1, hash: H1, peers: 1 }]);
    expect(state.lookup(H1)?.peers.map((p) => p.peerId)).toEqual([peerId(2)]);
  });
});

describe('TrackerState list', () => {
  function sample(): TrackerState {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    const b = state.addPeer(peerId(2), 'b', 1).peer;
    const c = state.addPeer(peerId(3), 'c', 1).peer;
    add(state, a, file('Zebra.png', 300, hash('4')), file('apple.txt', 10, hash('5')), file('Docs/Manual.PDF', 2000, HAB));
    add(state, b, file('apple.txt', 10, hash('5')), file('mango.txt', 10, hash('6')));
    add(state, c, file('apple.txt', 10, hash('5')), file('Docs/Manual.PDF', 2000, HAB), file('kiwi', 0, hash('7')));
    return state;
  }

  it('lists every row sorted by name (code-unit order) with the total', () => {
    const { total, items } = listAll(sample());
    expect(total).toBe(5);
    expect(names(items)).toEqual(['Docs/Manual.PDF', 'Zebra.png', 'apple.txt', 'kiwi', 'mango.txt']);
    expect(items.find((i) => i.name === 'apple.txt')?.peers).toBe(3);
    expect(items.find((i) => i.name === 'Docs/Manual.PDF')?.peers).toBe(2);
  });

  it('pages with offset and limit while total counts all matches', () => {
    const state = sample();
    const all = names(listAll(state).items);
    const page1 = state.list({ query: '', offset: 0, limit: 2 });
    const page2 = state.list({ query: '', offset: 2, limit: 2 });
    const page3 = state.list({ query: '', offset: 4, limit: 2 });
    expect([page1.total, page2.total, page3.total]).toEqual([5, 5, 5]);
    expect([...names(page1.items), ...names(page2.items), ...names(page3.items)]).toEqual(all);
    expect(page3.items).toHaveLength(1);
    expect(state.list({ query: '', offset: 50, limit: 2 })).toEqual({ total: 5, items: [] });
  });

  it('searches names by case-insensitive substring', () => {
    const state = sample();
    expect(names(listAll(state, 'manual').items)).toEqual(['Docs/Manual.PDF']);
    expect(names(listAll(state, 'MANUAL.pdf').items)).toEqual(['Docs/Manual.PDF']);
    expect(names(listAll(state, '.TXT').items)).toEqual(['apple.txt', 'mango.txt']);
    expect(listAll(state, '.txt').total).toBe(2);
    expect(listAll(state, 'nothing-like-this').total).toBe(0);
  });

  it('trims the query and treats a blank one as "everything"', () => {
    const state = sample();
    expect(names(listAll(state, '  zebra  ').items)).toEqual(['Zebra.png']);
    expect(listAll(state, '   ').total).toBe(5);
  });

  it('matches a hex hash prefix of at least 4 digits, in either case', () => {
    const state = sample();
    expect(names(listAll(state, 'abcd').items)).toEqual(['Docs/Manual.PDF']);
    expect(names(listAll(state, 'ABCD00').items)).toEqual(['Docs/Manual.PDF']);
    expect(names(listAll(state, hash('5')).items)).toEqual(['apple.txt']);
    expect(names(listAll(state, '7777').items)).toEqual(['kiwi']);
  });

  it('does not match hashes by a prefix shorter than 4 or by a non-prefix substring', () => {
    const state = sample();
    expect(listAll(state, 'abc').total).toBe(0);
    expect(listAll(state, 'cd00').total).toBe(0); // inside HAB, but not at its start
    expect(listAll(state, 'abce').total).toBe(0);
  });

  it('sorts by size ascending and descending, ties broken by name', () => {
    const state = sample();
    const up = listAll(state, '', { sort: 'size' }).items;
    expect(up.map((i) => [i.name, i.size])).toEqual([
      ['kiwi', 0],
      ['apple.txt', 10],
      ['mango.txt', 10],
      ['Zebra.png', 300],
      ['Docs/Manual.PDF', 2000],
    ]);
    const down = listAll(state, '', { sort: 'size', descending: true }).items;
    expect(down.map((i) => i.size)).toEqual([2000, 300, 10, 10, 0]);
  });

  it('sorts by peers ascending and descending', () => {
    const state = sample();
    const up = listAll(state, '', { sort: 'peers' }).items;
    expect(up.map((i) => i.peers)).toEqual([1, 1, 1, 2, 3]);
    expect(names(up).slice(0, 3)).toEqual(['Zebra.png', 'kiwi', 'mango.txt']);
    const down = listAll(state, '', { sort: 'peers', descending: true }).items;
    expect(down.map((i) => i.peers)).toEqual([3, 2, 1, 1, 1]);
    expect(names(down).slice(0, 2)).toEqual(['apple.txt', 'Docs/Manual.PDF']);
  });

  it('sorts by name descending', () => {
    const items = listAll(sample(), '', { sort: 'name', descending: true }).items;
    expect(names(items)).toEqual(['mango.txt', 'kiwi', 'apple.txt', 'Zebra.png', 'Docs/Manual.PDF']);
  });

  it('applies the sort before paging and the search before both', () => {
    const state = sample();
    const page = state.list({ query: 'a', offset: 1, limit: 2, sort: 'size', descending: true });
    // Rows containing "a": Docs/Manual.PDF 2000, Zebra.png 300, apple.txt 10, mango.txt 10
    expect(page.total).toBe(4);
    expect(names(page.items)).toEqual(['Zebra.png', 'mango.txt']);
  });

  it('a sorted query does not disturb the default name order', () => {
    const state = sample();
    const before = names(listAll(state).items);
    listAll(state, '', { sort: 'size', descending: true });
    listAll(state, '', { sort: 'peers' });
    expect(names(listAll(state).items)).toEqual(before);
  });

  it('reflects changes made after an earlier listing', () => {
    const state = sample();
    expect(listAll(state).total).toBe(5);
    const d = state.addPeer(peerId(4), 'd', 1).peer;
    add(state, d, file('banana', 1, hash('8')), file('kiwi', 0, hash('7')));
    const { total, items } = listAll(state);
    expect(total).toBe(6);
    expect(items.find((i) => i.name === 'kiwi')?.peers).toBe(2);
    state.removePeer(d);
    expect(listAll(state).total).toBe(5);
    expect(listAll(state).items.find((i) => i.name === 'kiwi')?.peers).toBe(1);
  });
});

describe('TrackerState lookup', () => {
  it('returns the size and every other holder, excluding the asking peer', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), '10.0.0.1', 4001).peer;
    const b = state.addPeer(peerId(2), '10.0.0.2', 4002).peer;
    const c = state.addPeer(peerId(3), '10.0.0.3', 4003).peer;
    add(state, a, file('f', 1234, H1));
    add(state, b, file('g', 1234, H1));
    add(state, c, file('other', 1, H2));
    const found = state.lookup(H1, a);
    expect(found?.size).toBe(1234);
    expect(found?.peers).toEqual([{ peerId: peerId(2), host: '10.0.0.2', port: 4002 }]);

    const all = state.lookup(H1);
    expect(all?.peers.map((p) => p.peerId).sort()).toEqual([peerId(1), peerId(2)]);
    // A peer that does not hold the content being excluded changes nothing.
    expect(state.lookup(H1, c)?.peers).toHaveLength(2);
  });

  it('returns an empty list when only the asking peer holds the content', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('f', 5, H1));
    expect(state.lookup(H1, a)).toEqual({ size: 5, peers: [] });
  });

  it('returns undefined for unknown content', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), 'a', 1).peer;
    add(state, a, file('f', 5, H1));
    expect(state.lookup(H2)).toBeUndefined();
    expect(new TrackerState().lookup(H1)).toBeUndefined();
  });

  it(`caps the answer at MAX_LOOKUP_PEERS (${MAX_LOOKUP_PEERS}) distinct holders`, () => {
    const state = new TrackerState();
    const peers = Array.from({ length: 250 }, (_, i) => state.addPeer(peerId(i + 1), `10.0.${i >> 8}.${i & 255}`, 5000).peer);
    for (const p of peers) add(state, p, file('popular.iso', 999, H1));
    expect(listAll(state).items).toEqual([{ name: 'popular.iso', size: 999, hash: H1, peers: 250 }]);

    const asker = peers[0]!;
    const found = state.lookup(H1, asker)!;
    expect(found.size).toBe(999);
    expect(found.peers).toHaveLength(MAX_LOOKUP_PEERS);
    const ids = new Set(found.peers.map((p) => p.peerId));
    expect(ids.size).toBe(MAX_LOOKUP_PEERS);
    expect(ids.has(asker.peerId)).toBe(false);
    const known = new Set(peers.map((p) => p.peerId));
    for (const id of ids) expect(known.has(id)).toBe(true);
  });

  it('spreads capped answers over all holders rather than always the same ones', () => {
    const state = new TrackerState();
    const peers = Array.from({ length: 250 }, (_, i) => state.addPeer(peerId(i + 1), `h${i}`, 5000).peer);
    for (const p of peers) add(state, p, file('popular.iso', 999, H1));
    const seen = new Set<string>();
    // Each answer leaves out 50 of 250; the chance a given peer is missed 30 times in a row is 0.2^30.
    for (let i = 0; i < 30; i++) for (const p of state.lookup(H1)!.peers) seen.add(p.peerId);
    expect(seen.size).toBe(250);
  });
});

describe('TrackerState listing under churn', () => {
  /** A clock that moves one tick per reading: a build reads it twice, so every build "takes" 1 tick. */
  function tickingClock() {
    const clock = { t: 0, now: () => clock.t++ };
    return clock;
  }

  it('a listing quick to sort is exact: the first query after a change sees it', () => {
    const clock = tickingClock();
    const state = new TrackerState({ listingTiming: { exactBelowMs: 2, costFactor: 1000, now: clock.now } });
    const a = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    add(state, a, file('a.txt', 1, H1));
    expect(names(listAll(state).items)).toEqual(['a.txt']);
    add(state, a, file('b.txt', 2, H2));
    expect(names(listAll(state).items)).toEqual(['a.txt', 'b.txt']);
  });

  it('other orders are kept per rebuild, and follow a change as the name order does', () => {
    const state = new TrackerState();
    const a = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    add(state, a, file('a.txt', 1, H1), file('b.txt', 3, H2));
    expect(names(listAll(state, '', { sort: 'size', descending: true }).items)).toEqual(['b.txt', 'a.txt']);
    expect(names(listAll(state, '', { sort: 'size', descending: true }).items)).toEqual(['b.txt', 'a.txt']);
    add(state, a, file('c.txt', 2, H3));
    expect(names(listAll(state, '', { sort: 'size', descending: true }).items)).toEqual(['b.txt', 'c.txt', 'a.txt']);
    expect(names(listAll(state, '', { sort: 'size' }).items)).toEqual(['a.txt', 'c.txt', 'b.txt']);
    expect(names(listAll(state).items)).toEqual(['a.txt', 'b.txt', 'c.txt']);
  });

  it('a listing slow to sort is rebuilt at most once per costFactor builds, then shows every change', () => {
    const clock = tickingClock();
    const state = new TrackerState({ listingTiming: { exactBelowMs: 1, costFactor: 1000, now: clock.now } });
    const a = state.addPeer(peerId(1), '10.0.0.1', 4000).peer;
    add(state, a, file('a.txt', 1, H1));
    expect(names(listAll(state).items)).toEqual(['a.txt']);
    add(state, a, file('b.txt', 2, H2));
    // Within the window the snapshot stands (this is what keeps a huge busy listing from being re-sorted per query).
    expect(names(listAll(state).items)).toEqual(['a.txt']);
    expect(names(listAll(state, 'b').items)).toEqual([]);
    clock.t += 1000;
    expect(names(listAll(state).items)).toEqual(['a.txt', 'b.txt']);
    // Unchanged since: the same snapshot, no rebuild, however much time passes.
    clock.t += 10_000;
    expect(names(listAll(state, 'b').items)).toEqual(['b.txt']);
  });
});
