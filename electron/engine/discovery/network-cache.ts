import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MAX_LOOKUP_PEERS } from '../../../shared/protocol/limits.js';
import { DebouncedWriter, writeFileAtomic } from '../persist.js';
import { listingItem, peerAddress, type ListingItem, type PeerAddress } from '../../../shared/protocol/messages.js';

/** Peers remembered in all; the least recently seen are forgotten first. */
const MAX_KNOWN_PEERS = 500;
/** Contents whose holders we remember. */
const MAX_HOLDER_ENTRIES = 20_000;
const SAVE_DELAY_MS = 2000;

const cacheFile = z.object({
  version: z.literal(1),
  listing: z.object({ savedAt: z.number(), items: z.array(listingItem) }).nullable(),
  holders: z.record(z.string(), z.array(peerAddress)),
  known: z.array(peerAddress.extend({ lastSeen: z.number() })),
});

/**
 * What this peer remembers about the network, kept on disk so it outlives
 * the trackers: the last full listing it saw (served, marked stale, when no
 * tracker answers), who held which content, and every peer it has met (for
 * peer exchange). A damaged file only costs the memory.
 */
export class NetworkCache {
  listing: { savedAt: number; items: ListingItem[] } | null = null;
  private holders = new Map<string, PeerAddress[]>();
  private known = new Map<string, PeerAddress & { lastSeen: number }>();
  private readonly saver = new DebouncedWriter(() => this.save(), SAVE_DELAY_MS);

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    try {
      const parsed = cacheFile.parse(JSON.parse(await readFile(this.file, 'utf8')));
      this.listing = parsed.listing;
      this.holders = new Map(Object.entries(parsed.holders));
      this.known = new Map(parsed.known.map((p) => [p.peerId, p]));
    } catch {
      // first start, or damaged: start empty
    }
  }

  setListing(items: ListingItem[]): void {
    this.listing = { savedAt: Date.now(), items };
    this.scheduleSave();
  }

  /** Remembers peers seen holding `hash` (and as peers in general). */
  addHolders(hash: string, peers: PeerAddress[]): void {
    if (peers.length === 0) return;
    const current = this.holders.get(hash) ?? [];
    const byId = new Map(current.map((p) => [p.peerId, p]));
    for (const p of peers) byId.set(p.peerId, p);
    this.holders.delete(hash); // re-insert: most recent last
    this.holders.set(hash, [...byId.values()].slice(-MAX_LOOKUP_PEERS));
    while (this.holders.size > MAX_HOLDER_ENTRIES) this.holders.delete(this.holders.keys().next().value!);
    for (const p of peers) this.meet(p);
    this.scheduleSave();
  }

  holdersOf(hash: string): PeerAddress[] {
    return this.holders.get(hash) ?? [];
  }

  meet(peer: PeerAddress): void {
    this.known.delete(peer.peerId);
    this.known.set(peer.peerId, { ...peer, lastSeen: Date.now() });
    while (this.known.size > MAX_KNOWN_PEERS) this.known.delete(this.known.keys().next().value!);
    this.scheduleSave();
  }

  /** Known peers, most recently seen first. */
  knownPeers(): PeerAddress[] {
    return [...this.known.values()].reverse().map(({ peerId, host, port }) => ({ peerId, host, port }));
  }

  flush(): Promise<void> {
    return this.saver.flush();
  }

  private scheduleSave(): void {
    this.saver.schedule();
  }

  private save(): Promise<void> {
    return writeFileAtomic(
      this.file,
      JSON.stringify({ version: 1, listing: this.listing, holders: Object.fromEntries(this.holders), known: [...this.known.values()] }),
    );
  }
}

/** Filters, sorts and pages a cached listing the way the tracker would. */
export function pageOfListing(
  items: ListingItem[],
  q: { query?: string | undefined; offset?: number | undefined; limit?: number | undefined; sort?: 'name' | 'size' | 'peers' | 'hash' | undefined; descending?: boolean | undefined },
): { total: number; items: ListingItem[] } {
  const needle = (q.query ?? '').trim().toLowerCase();
  const hexPrefix = /^[0-9a-f]{4,64}$/.test(needle) ? needle : null;
  const matches = needle ? items.filter((i) => i.name.toLowerCase().includes(needle) || (hexPrefix !== null && i.hash.startsWith(hexPrefix))) : [...items];
  const key = q.sort ?? 'name';
  const dir = q.descending ? -1 : 1;
  matches.sort((a, b) => {
    const primary = key === 'name' || key === 'hash' ? (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) : a[key] - b[key];
    return dir * (primary || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
  const offset = q.offset ?? 0;
  return { total: matches.length, items: matches.slice(offset, offset + (q.limit ?? 100)) };
}
