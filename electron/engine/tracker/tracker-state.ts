import { MAX_FILES_PER_PEER, MAX_LOOKUP_PEERS, MESSAGE_BUDGET_BYTES } from '../../../shared/protocol/limits.js';
import type { FileAnnouncement, ListSortKey, ListingItem, PeerAddress } from '../../../shared/protocol/messages.js';
import { EngineError } from '../errors.js';

/**
 * What the tracker knows, apart from sockets: who is online, what each has
 * announced, and the queries over it. Content is keyed by hash so a file known
 * under several names has one holder set; the listing shows one row per
 * (name, content) pair with the number of peers holding that content.
 */

export interface PeerRecord {
  readonly session: number;
  readonly peerId: string;
  readonly host: string;
  readonly port: number;
  /** path → content it points at */
  readonly files: Map<string, ContentRecord>;
}

interface ContentRecord {
  readonly hash: string;
  readonly size: number;
  /** How many files (across peers) point here, per peer. */
  readonly holders: Map<PeerRecord, number>;
  /** name → how many peers announce this content under it */
  readonly names: Map<string, number>;
}

export interface ListQuery {
  query: string;
  offset: number;
  limit: number;
  sort?: ListSortKey | undefined;
  descending?: boolean | undefined;
}

export class TrackerState {
  private readonly contents = new Map<string, ContentRecord>();
  private readonly peers = new Map<number, PeerRecord>();
  /** Indexes for replacing stale sessions in O(1): by peer id and by reachable address. */
  private readonly byPeerId = new Map<string, PeerRecord>();
  private readonly byAddress = new Map<string, PeerRecord>();
  private nextSession = 1;
  private sorted: ListingItem[] | null = null;
  /** Changes whenever the listing does; clients poll it to know when to refetch. */
  generation = 0;
  private entryCount = 0;

  get peerCount(): number {
    return this.peers.size;
  }

  get contentCount(): number {
    return this.contents.size;
  }

  /** (name, content) rows in the listing. */
  get entries(): number {
    return this.entryCount;
  }

  /**
   * Registers a peer. A restarted peer (same id) or a new process on a reused
   * address replaces the old session, which is returned so its connection can be closed.
   */
  addPeer(peerId: string, host: string, port: number): { peer: PeerRecord; replaced: PeerRecord[] } {
    const replaced = [...new Set([this.byPeerId.get(peerId), this.byAddress.get(`${host}:${port}`)])].filter((p): p is PeerRecord => p !== undefined);
    for (const old of replaced) this.removePeer(old);
    const peer: PeerRecord = { session: this.nextSession++, peerId, host, port, files: new Map() };
    this.peers.set(peer.session, peer);
    this.byPeerId.set(peerId, peer);
    this.byAddress.set(`${host}:${port}`, peer);
    this.generation++;
    return { peer, replaced };
  }

  removePeer(peer: PeerRecord): void {
    if (!this.peers.delete(peer.session)) return;
    if (this.byPeerId.get(peer.peerId) === peer) this.byPeerId.delete(peer.peerId);
    const address = `${peer.host}:${peer.port}`;
    if (this.byAddress.get(address) === peer) this.byAddress.delete(address);
    this.generation++;
    for (const path of [...peer.files.keys()]) this.removeFile(peer, path);
  }

  hasPeer(peer: PeerRecord): boolean {
    return this.peers.get(peer.session) === peer;
  }

  /** Applies an announce; returns how many added files were refused (size contradicting a known hash). */
  announce(peer: PeerRecord, change: { reset: boolean; add: FileAnnouncement[]; remove: string[] }): number {
    let refused = 0;
    if (!this.hasPeer(peer)) return refused;
    if (change.reset) for (const path of [...peer.files.keys()]) this.removeFile(peer, path);
    for (const path of change.remove) this.removeFile(peer, path);
    for (const file of change.add) {
      if (!peer.files.has(file.path) && peer.files.size >= MAX_FILES_PER_PEER) {
        throw new EngineError('too_many', `a peer may announce at most ${MAX_FILES_PER_PEER} files`);
      }
      // The content hash commits to the size, so a different size for a known hash is a lie.
      const known = this.contents.get(file.hash);
      if (known && known.size !== file.size) {
        refused++;
        continue;
      }
      this.addFile(peer, file);
    }
    return refused;
  }

  list(q: ListQuery): { total: number; items: ListingItem[] } {
    const all = this.sortedEntries();
    const needle = q.query.trim().toLowerCase();
    const hexPrefix = /^[0-9a-f]{4,64}$/.test(needle) ? needle : null;
    let matches = needle
      ? all.filter((item) => item.name.toLowerCase().includes(needle) || (hexPrefix !== null && item.hash.startsWith(hexPrefix)))
      : all;
    const sort = q.sort ?? 'name';
    if (sort !== 'name' || q.descending) {
      matches = matches === all ? [...all] : matches;
      const dir = q.descending ? -1 : 1;
      matches.sort((a, b) => dir * (compareBy(sort, a, b) || compareBy('name', a, b)));
    }
    // Fill the page up to `limit` rows or the byte budget, whichever comes first; the
    // client pages on by the number of rows it got.
    const items: ListingItem[] = [];
    let bytes = 0;
    for (let i = q.offset; i < matches.length && items.length < q.limit; i++) {
      const item = matches[i]!;
      bytes += JSON.stringify(item.name).length * 3 + 160;
      if (bytes > MESSAGE_BUDGET_BYTES && items.length > 0) break;
      items.push(item);
    }
    return { total: matches.length, items };
  }

  /** Peers holding `hash`, shuffled, at most MAX_LOOKUP_PEERS, without `exclude`. */
  lookup(hash: string, exclude?: PeerRecord): { size: number; peers: PeerAddress[] } | undefined {
    const content = this.contents.get(hash);
    if (!content) return undefined;
    const holders = [...content.holders.keys()].filter((p) => p !== exclude);
    shuffle(holders);
    return {
      size: content.size,
      peers: holders.slice(0, MAX_LOOKUP_PEERS).map((p) => ({ peerId: p.peerId, host: p.host, port: p.port })),
    };
  }

  private addFile(peer: PeerRecord, file: FileAnnouncement): void {
    const previous = peer.files.get(file.path);
    if (previous?.hash === file.hash) return;
    if (previous) this.removeFile(peer, file.path);
    let content = this.contents.get(file.hash);
    if (!content) {
      content = { hash: file.hash, size: file.size, holders: new Map(), names: new Map() };
      this.contents.set(file.hash, content);
    }
    peer.files.set(file.path, content);
    content.holders.set(peer, (content.holders.get(peer) ?? 0) + 1);
    const named = content.names.get(file.path) ?? 0;
    if (named === 0) this.entryCount++;
    content.names.set(file.path, named + 1);
    this.sorted = null;
    this.generation++;
  }

  private removeFile(peer: PeerRecord, path: string): void {
    const content = peer.files.get(path);
    if (!content) return;
    peer.files.delete(path);
    const held = (content.holders.get(peer) ?? 1) - 1;
    if (held > 0) content.holders.set(peer, held);
    else content.holders.delete(peer);
    const named = (content.names.get(path) ?? 1) - 1;
    if (named > 0) content.names.set(path, named);
    else {
      content.names.delete(path);
      this.entryCount--;
    }
    if (content.holders.size === 0) this.contents.delete(content.hash);
    this.sorted = null;
    this.generation++;
  }

  /** Every row sorted by name, rebuilt lazily after a change. */
  private sortedEntries(): ListingItem[] {
    if (this.sorted) return this.sorted;
    const rows: ListingItem[] = [];
    for (const content of this.contents.values()) {
      for (const name of content.names.keys()) {
        rows.push({ name, size: content.size, hash: content.hash, peers: content.holders.size });
      }
    }
    rows.sort((a, b) => compareBy('name', a, b));
    this.sorted = rows;
    return rows;
  }
}

function compareBy(key: ListSortKey, a: ListingItem, b: ListingItem): number {
  if (key === 'name') return a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  if (key === 'hash') return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  return a[key] - b[key];
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
