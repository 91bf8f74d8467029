import { Buffer } from 'node:buffer';
import { MAX_LOOKUP_PEERS, MESSAGE_BUDGET_BYTES } from '../../../shared/protocol/limits.js';
import type { FileAnnouncement, ListSortKey, ListingItem, PeerAddress } from '../../../shared/protocol/messages.js';
import { EngineError } from '../errors.js';
import { FileBudget, type FileBudgetOptions } from './file-budget.js';
import { SessionTeardown, TEARDOWN_CHUNK } from './session-teardown.js';

/**
 * What the tracker knows, apart from sockets: who is online, what each has
 * announced, and the queries over it. Content is keyed by hash so a file known
 * under several names has one holder set; the listing shows one row per
 * (name, content) pair with the number of peers holding that content.
 *
 * Layout. A tracker holds one entry per (peer, file), up to millions, so entries are
 * integers in typed arrays rather than objects, strings and Map entries (which cost ~240
 * bytes per entry):
 * - every name, content hash and (name, content) row is kept once and known by a small id;
 * - a peer is a slot in paged typed arrays: its id (16 bytes), IPv4 address, port, session;
 * - a peer's files are a set of row ids in a pooled block: an array when small, else a hash set;
 * - a content's holders are a sorted array of slots in a pooled block (binary search, memmove,
 *   random sampling for lookups), as opentracker keeps its per-torrent peer vectors.
 * With 10 files per peer and ~100 holders per content that is ~20 bytes per entry
 * (bench/tracker-memory.mjs).
 */

const EMPTY = -1;
/** Slots stay below this, so (content id, slot) packs into one safe integer. */
const MAX_PEER_SLOTS = 1 << 22;
/** A peer's file set up to this size is a plain array (scanning 16 ints beats hashing). */
const LINEAR_FILES = 16;

/**
 * A peer session as the state hands it out. The state keeps only the slot's arrays; whoever
 * owns the session (the server, with its connection) keeps this record, so its strings are
 * ones the connection holds anyway. It stays readable after the session has ended.
 */
export interface PeerRecord {
  /** Unique for the life of the state: tells a live session from an ended one in the same slot. */
  readonly session: number;
  /** Index into the state's peer tables while the session is live. */
  readonly slot: number;
  readonly peerId: string;
  readonly host: string;
  readonly port: number;
}

export interface ListQuery {
  query: string;
  offset: number;
  limit: number;
  sort?: ListSortKey | undefined;
  descending?: boolean | undefined;
}

export type TrackerStateOptions = FileBudgetOptions;

export class TrackerState {
  /** Changes whenever the listing does; clients poll it to know when to refetch. */
  generation = 0;
  readonly budget: FileBudget;
  /** Frees the files of a large session that ended, a chunk per event-loop turn. */
  private readonly teardown = new SessionTeardown(
    (slot, row) => this.removeRow(slot, row),
    (slot) => this.releaseSlot(slot),
  );

  constructor(options: TrackerStateOptions = {}) {
    this.budget = new FileBudget(options);
  }

  // Peers, by slot.
  private readonly peers = new PeerTable();
  /** Hosts that are not canonical dotted IPv4 (IPv6, names in tests), by slot. */
  private readonly peerHostText = new Map<number, string>();
  private readonly slots = new IdSpace();
  private livePeers = 0;
  private nextSession = 1;
  /** Indexes for replacing stale sessions in O(1): by peer id and by reachable address. */
  private readonly byPeerId = new IdIndex((slot) => this.peers.idHash(slot));
  private readonly byAddress = new IdIndex((slot) => this.addressHash(slot));

  // Contents, by content id.
  private readonly contentIds = new Map<string, number>();
  private readonly contentHash: (string | undefined)[] = [];
  private contentSize = new Float64Array(0);
  private holderCount = new Int32Array(0);
  private holderBlock = new Int32Array(0);
  private holderClass = new Int32Array(0);
  private readonly contents = new IdSpace();
  /**
   * A peer holding one content under several names is one holder; the names past the
   * first are counted here, keyed by content id × MAX_PEER_SLOTS + slot (rare).
   */
  private readonly extraHolds = new Map<number, number>();

  // Names (paths), by name id: each is kept once however many peers use it.
  private readonly nameIds = new Map<string, number>();
  private readonly nameText: (string | undefined)[] = [];
  private nameRows = new Int32Array(0);
  private readonly names = new IdSpace();

  // Listing rows: distinct (name, content) pairs, with how many peers announce each.
  private rowName = new Int32Array(0);
  private rowContent = new Int32Array(0);
  private rowCount = new Int32Array(0);
  private readonly rowIndex = new IdIndex((row) => pairHash(this.rowName[row]!, this.rowContent[row]!));
  private readonly rowIds = new IdSpace();
  private rows = 0;

  /** Blocks for the peers' file sets (owner: slot) and the contents' holder arrays (owner: content id). */
  private readonly pages = new PageStore();
  private readonly filePool = new BlockPool(this.pages, (slot, block) => this.peers.set(slot, FILE_BLOCK, block));
  private readonly holderPool = new BlockPool(this.pages, (content, block) => (this.holderBlock[content] = block));
  private sorted: ListingItem[] | null = null;

  get peerCount(): number {
    return this.livePeers;
  }

  get contentCount(): number {
    return this.contentIds.size;
  }

  /** (name, content) rows in the listing. */
  get entries(): number {
    return this.rows;
  }

  /** Finishes freeing the files of ended sessions now (tests; normally it runs in the background). */
  flushTeardown(): void {
    this.teardown.flush();
  }

  /** Stops background work (the tracker is stopping). */
  stop(): void {
    this.teardown.stop();
  }

  /**
   * Registers a peer. A restarted peer (same id) or a new process on a reused
   * address replaces the old session, which is returned so its connection can be closed.
   * `peerId` is 32 lower-case hex digits, as the protocol requires.
   */
  addPeer(peerId: string, host: string, port: number): { peer: PeerRecord; replaced: PeerRecord[] } {
    if (!/^[0-9a-f]{32}$/.test(peerId)) throw new RangeError('peer id must be 32 lower-case hex digits');
    const replaced: PeerRecord[] = [];
    const sameId = this.byPeerId.find(this.peers.probeHash(peerId), (s) => this.peers.matchesProbe(s));
    if (sameId >= 0) replaced.push(this.recordAt(sameId));
    const sameAddress = this.findByAddress(host, port);
    if (sameAddress >= 0 && sameAddress !== sameId) replaced.push(this.recordAt(sameAddress));
    for (const old of replaced) this.removePeer(old);

    const slot = this.allocSlot();
    const ip = parseIpv4(host);
    if (ip === undefined) this.peerHostText.set(slot, host);
    const peer: PeerRecord = { session: this.nextSession++, slot, peerId, host, port };
    this.peers.setId(slot, peerId);
    this.peers.setSession(slot, peer.session);
    this.peers.set(slot, IPV4, ip ?? 0);
    this.peers.set(slot, PORT, port);
    this.peers.set(slot, FILE_COUNT, 0);
    this.peers.set(slot, FILE_CLASS, EMPTY);
    this.byPeerId.add(slot);
    this.byAddress.add(slot);
    this.livePeers++;
    this.generation++;
    return { peer, replaced };
  }

  /**
   * Ends a session. It is gone from the peer count and from lookups at once;
   * the files of a large one are freed over the next event-loop turns, so
   * that a session of 100,000 files leaving does not stall every other request.
   */
  removePeer(peer: PeerRecord): void {
    if (!this.hasPeer(peer)) return;
    const slot = peer.slot;
    this.byPeerId.delete(slot);
    this.byAddress.delete(slot);
    this.generation++;
    this.peers.setSession(slot, 0);
    this.livePeers--;
    const rows = this.fileRows(slot);
    if (rows.length > TEARDOWN_CHUNK) {
      this.teardown.start(slot, Int32Array.from(rows));
      return;
    }
    for (const row of rows) this.removeRow(slot, row);
    this.releaseSlot(slot);
  }

  hasPeer(peer: PeerRecord): boolean {
    return peer.session > 0 && peer.slot < this.slots.high && this.peers.session(peer.slot) === peer.session;
  }

  /** Applies an announce; returns how many added files were refused (size contradicting a known hash). */
  announce(peer: PeerRecord, change: { reset: boolean; add: FileAnnouncement[]; remove: string[] }): number {
    let refused = 0;
    if (!this.hasPeer(peer)) return refused;
    const slot = peer.slot;
    if (change.reset) this.removeAllFiles(slot);
    for (const path of change.remove) {
      const name = this.nameIds.get(path);
      const row = name === undefined ? EMPTY : this.findFile(slot, name);
      if (row !== EMPTY) this.removeRow(slot, row);
    }
    for (const file of change.add) {
      const name = this.nameIds.get(file.path);
      const previous = name === undefined ? EMPTY : this.findFile(slot, name);
      const refusal = previous === EMPTY ? this.budget.refusal(this.peers.get(slot, FILE_COUNT)) : undefined;
      if (refusal) throw refusal;
      // The content hash commits to the size, so a different size for a known hash is a lie.
      const known = this.contentIds.get(file.hash);
      if (known !== undefined && this.contentSize[known] !== file.size) {
        refused++;
        continue;
      }
      if (previous !== EMPTY) {
        if (this.contentHash[this.rowContent[previous]!] === file.hash) continue; // unchanged
        this.removeRow(slot, previous);
      }
      this.addFile(slot, file);
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

  /** Peers holding `hash`, a uniformly random subset in random order, at most MAX_LOOKUP_PEERS, without `exclude`. */
  lookup(hash: string, exclude?: PeerRecord): { size: number; peers: PeerAddress[] } | undefined {
    const content = this.contentIds.get(hash);
    if (content === undefined) return undefined;
    const count = this.holderCount[content]!;
    const cls = this.holderClass[content]!;
    const block = this.holderBlock[content]!;
    const cells = this.holderPool.page(cls, block);
    const base = this.holderPool.offset(cls, block);
    // Sample positions among the holders with the excluded one cut out, then map them back.
    if (this.teardown.leaving.size > 0) return this.lookupSkippingLeaving(content, exclude);
    const skip = exclude && this.hasPeer(exclude) ? this.holderSearch(content, exclude.slot) : EMPTY;
    const n = skip >= 0 ? count - 1 : count;
    const k = Math.min(n, MAX_LOOKUP_PEERS);
    samplePositions(n, k);
    const peers: PeerAddress[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const pick = PICKS[i]!;
      const slot = cells[base + (skip >= 0 && pick >= skip ? pick + 1 : pick)]!;
      peers[i] = { peerId: this.peers.idHex(slot), host: this.hostAt(slot), port: this.peers.get(slot, PORT) };
    }
    return { size: this.contentSize[content]!, peers };
  }

  /** lookup() while sessions are being freed: their slots are still among the holders, so sample from the live ones. */
  private lookupSkippingLeaving(content: number, exclude: PeerRecord | undefined): { size: number; peers: PeerAddress[] } {
    const cls = this.holderClass[content]!;
    const cells = this.holderPool.page(cls, this.holderBlock[content]!);
    const base = this.holderPool.offset(cls, this.holderBlock[content]!);
    const skip = exclude && this.hasPeer(exclude) ? exclude.slot : EMPTY;
    const live: number[] = [];
    for (let i = base, end = base + this.holderCount[content]!; i < end; i++) {
      const slot = cells[i]!;
      if (slot !== skip && !this.teardown.leaving.has(slot)) live.push(slot);
    }
    const k = Math.min(live.length, MAX_LOOKUP_PEERS);
    samplePositions(live.length, k);
    const peers: PeerAddress[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const slot = live[PICKS[i]!]!;
      peers[i] = { peerId: this.peers.idHex(slot), host: this.hostAt(slot), port: this.peers.get(slot, PORT) };
    }
    return { size: this.contentSize[content]!, peers };
  }

  // ------------------------------------------------------------ peers

  private releaseSlot(slot: number): void {
    this.peerHostText.delete(slot);
    this.slots.release(slot);
  }

  private recordAt(slot: number): PeerRecord {
    return { session: this.peers.session(slot), slot, peerId: this.peers.idHex(slot), host: this.hostAt(slot), port: this.peers.get(slot, PORT) };
  }

  private hostAt(slot: number): string {
    const text = this.peerHostText.size > 0 ? this.peerHostText.get(slot) : undefined;
    if (text !== undefined) return text;
    const ip = this.peers.get(slot, IPV4);
    return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  }

  private allocSlot(): number {
    const slot = this.slots.take(MAX_PEER_SLOTS);
    if (slot === undefined) throw new EngineError('too_many', 'too many peers');
    this.peers.ensure(slot);
    return slot;
  }

  private findByAddress(host: string, port: number): number {
    const ip = parseIpv4(host);
    if (ip !== undefined) {
      return this.byAddress.find(pairHash(ip, port), (s) => this.peers.get(s, IPV4) === (ip | 0) && this.peers.get(s, PORT) === port && !this.peerHostText.has(s));
    }
    return this.byAddress.find(pairHash(textHash(host), port), (s) => this.peers.get(s, PORT) === port && this.peerHostText.get(s) === host);
  }

  private addressHash(slot: number): number {
    const text = this.peerHostText.get(slot);
    return pairHash(text === undefined ? this.peers.get(slot, IPV4) >>> 0 : textHash(text), this.peers.get(slot, PORT));
  }

  // ------------------------------------------------------------ files of a peer
  // A set of row ids. Up to LINEAR_FILES of them: a plain array, scanned. More: an open-addressing
  // hash set keyed by the row's name id (power-of-two size, at most 3/4 full).

  /** Row ids of the peer's files. */
  private fileRows(slot: number): number[] {
    const cls = this.peers.get(slot, FILE_CLASS);
    if (cls < 0) return [];
    const block = this.peers.get(slot, FILE_BLOCK);
    const cells = this.filePool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.filePool.offset(cls, block);
    if (size <= LINEAR_FILES) return Array.from(cells.subarray(base, base + this.peers.get(slot, FILE_COUNT)));
    const rows: number[] = [];
    for (let i = base; i < base + size; i++) if (cells[i] !== EMPTY) rows.push(cells[i]!);
    return rows;
  }

  /** The peer's row for name id `name`, or EMPTY. */
  private findFile(slot: number, name: number): number {
    const cls = this.peers.get(slot, FILE_CLASS);
    if (cls < 0) return EMPTY;
    const block = this.peers.get(slot, FILE_BLOCK);
    const cells = this.filePool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.filePool.offset(cls, block);
    if (size <= LINEAR_FILES) {
      for (let i = base, end = base + this.peers.get(slot, FILE_COUNT); i < end; i++) if (this.rowName[cells[i]!] === name) return cells[i]!;
      return EMPTY;
    }
    const mask = size - 1;
    for (let i = mix(name) & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
      const row = cells[base + i]!;
      if (row === EMPTY) return EMPTY;
      if (this.rowName[row] === name) return row;
    }
    return EMPTY;
  }

  private insertFile(slot: number, row: number): void {
    const count = this.peers.get(slot, FILE_COUNT);
    const current = this.peers.get(slot, FILE_CLASS);
    if (current < 0 || count + 1 > fileCapacity(BLOCK_CELLS[current]!)) this.resizeFiles(slot, fileClass(count + 1));
    const cls = this.peers.get(slot, FILE_CLASS);
    const block = this.peers.get(slot, FILE_BLOCK);
    const cells = this.filePool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.filePool.offset(cls, block);
    if (size <= LINEAR_FILES) cells[base + count] = row;
    else this.hashPlace(cells, base, size - 1, row);
    this.peers.set(slot, FILE_COUNT, count + 1);
  }

  private hashPlace(cells: Int32Array, base: number, mask: number, row: number): void {
    let i = mix(this.rowName[row]!) & mask;
    while (cells[base + i] !== EMPTY) i = (i + 1) & mask;
    cells[base + i] = row;
  }

  private deleteFile(slot: number, row: number): void {
    const cls = this.peers.get(slot, FILE_CLASS);
    const block = this.peers.get(slot, FILE_BLOCK);
    const cells = this.filePool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.filePool.offset(cls, block);
    const count = this.peers.get(slot, FILE_COUNT) - 1;
    if (size <= LINEAR_FILES) {
      let i = base;
      while (cells[i] !== row) i++;
      cells[i] = cells[base + count]!; // the last one fills the hole
    } else {
      const mask = size - 1;
      let i = mix(this.rowName[row]!) & mask;
      while (cells[base + i] !== row) i = (i + 1) & mask;
      // Backward-shift deletion: pull later members of the probe run into the hole, so no tombstones.
      for (let j = (i + 1) & mask; cells[base + j] !== EMPTY; j = (j + 1) & mask) {
        const home = mix(this.rowName[cells[base + j]!]!) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
          cells[base + i] = cells[base + j]!;
          i = j;
        }
      }
      cells[base + i] = EMPTY;
    }
    this.peers.set(slot, FILE_COUNT, count);
    // Shrink once well under capacity, leaving room to grow back without moving again at once.
    if (count === 0) this.resizeFiles(slot, EMPTY);
    else if (count * 4 < fileCapacity(size) && size > 3) this.resizeFiles(slot, fileClass(Math.ceil(count * 1.5)));
  }

  /** Moves the peer's files into a block of class `cls` (EMPTY: none). */
  private resizeFiles(slot: number, cls: number): void {
    const old = this.peers.get(slot, FILE_CLASS);
    if (cls === old) return;
    const rows = this.fileRows(slot);
    const oldBlock = this.peers.get(slot, FILE_BLOCK);
    if (cls !== EMPTY) {
      const block = this.filePool.alloc(cls, slot);
      const cells = this.filePool.page(cls, block);
      const size = BLOCK_CELLS[cls]!;
      const base = this.filePool.offset(cls, block);
      if (size <= LINEAR_FILES) cells.set(rows, base);
      else {
        cells.fill(EMPTY, base, base + size);
        for (const row of rows) this.hashPlace(cells, base, size - 1, row);
      }
      this.peers.set(slot, FILE_BLOCK, block);
    }
    if (old >= 0) this.filePool.free(old, oldBlock);
    this.peers.set(slot, FILE_CLASS, cls);
  }

  private removeAllFiles(slot: number): void {
    for (const row of this.fileRows(slot)) this.removeRow(slot, row);
  }

  private addFile(slot: number, file: FileAnnouncement): void {
    const content = this.contentIds.get(file.hash) ?? this.newContent(file.hash, file.size);
    const name = this.nameIds.get(file.path) ?? this.newName(file.path);
    const row = this.rowFor(name, content);
    this.insertFile(slot, row);
    this.budget.used++;
    this.addHolder(content, slot);
    if (this.rowCount[row]!++ === 0) this.rows++;
    this.sorted = null;
    this.generation++;
  }

  private removeRow(slot: number, row: number): void {
    const content = this.rowContent[row]!;
    this.deleteFile(slot, row);
    this.budget.used--;
    this.removeHolder(content, slot);
    if (--this.rowCount[row]! === 0) this.freeRow(row);
    if (this.holderCount[content] === 0) this.freeContent(content);
    this.sorted = null;
    this.generation++;
  }

  // ------------------------------------------------------------ holders of a content: sorted array of slots

  /** Binary search: the index of `slot` among the holders, or -(insertion point) - 1. */
  private holderSearch(content: number, slot: number): number {
    const cls = this.holderClass[content]!;
    if (cls < 0) return -1;
    const block = this.holderBlock[content]!;
    const cells = this.holderPool.page(cls, block);
    const base = this.holderPool.offset(cls, block);
    let lo = 0;
    let hi = this.holderCount[content]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = cells[base + mid]!;
      if (v < slot) lo = mid + 1;
      else if (v > slot) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  private addHolder(content: number, slot: number): void {
    const found = this.holderSearch(content, slot);
    if (found >= 0) {
      const key = content * MAX_PEER_SLOTS + slot;
      this.extraHolds.set(key, (this.extraHolds.get(key) ?? 0) + 1);
      return;
    }
    const count = this.holderCount[content]!;
    const current = this.holderClass[content]!;
    if (current < 0 || count + 1 > BLOCK_CELLS[current]!) this.resizeHolders(content, classFor(count + 1));
    const cls = this.holderClass[content]!;
    const block = this.holderBlock[content]!;
    const cells = this.holderPool.page(cls, block);
    const base = this.holderPool.offset(cls, block);
    const at = -found - 1;
    cells.copyWithin(base + at + 1, base + at, base + count);
    cells[base + at] = slot;
    this.holderCount[content] = count + 1;
  }

  private removeHolder(content: number, slot: number): void {
    const key = content * MAX_PEER_SLOTS + slot;
    const extra = this.extraHolds.get(key);
    if (extra !== undefined) {
      if (extra > 1) this.extraHolds.set(key, extra - 1);
      else this.extraHolds.delete(key);
      return;
    }
    const at = this.holderSearch(content, slot);
    if (at < 0) return;
    const cls = this.holderClass[content]!;
    const block = this.holderBlock[content]!;
    const cells = this.holderPool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.holderPool.offset(cls, block);
    const count = this.holderCount[content]! - 1;
    cells.copyWithin(base + at, base + at + 1, base + count + 1);
    this.holderCount[content] = count;
    if (count === 0) this.resizeHolders(content, EMPTY);
    else if (count * 2 < size && size > 3) this.resizeHolders(content, classFor(Math.ceil(count * 1.25))); // under half full: shrink
  }

  private resizeHolders(content: number, cls: number): void {
    const old = this.holderClass[content]!;
    const oldBlock = this.holderBlock[content]!;
    if (cls !== EMPTY) {
      const block = this.holderPool.alloc(cls, content);
      if (old >= 0) {
        const from = this.holderPool.offset(old, oldBlock);
        const holders = this.holderPool.page(old, oldBlock).subarray(from, from + this.holderCount[content]!);
        this.holderPool.page(cls, block).set(holders, this.holderPool.offset(cls, block));
      }
      this.holderBlock[content] = block;
    }
    if (old >= 0) this.holderPool.free(old, oldBlock);
    this.holderClass[content] = cls;
  }

  // ------------------------------------------------------------ contents, names, rows

  private newContent(hash: string, size: number): number {
    const id = this.contents.take()!;
    if (id >= this.contentSize.length) {
      const capacity = Math.max(64, this.contentSize.length * 2);
      this.contentSize = grow(this.contentSize, capacity);
      this.holderCount = grow(this.holderCount, capacity);
      this.holderBlock = grow(this.holderBlock, capacity);
      this.holderClass = grow(this.holderClass, capacity);
    }
    this.contentIds.set(hash, id);
    this.contentHash[id] = hash;
    this.contentSize[id] = size;
    this.holderCount[id] = 0;
    this.holderClass[id] = EMPTY;
    return id;
  }

  private freeContent(content: number): void {
    this.contentIds.delete(this.contentHash[content]!);
    this.contentHash[content] = undefined;
    this.contents.release(content);
  }

  private newName(path: string): number {
    const id = this.names.take()!;
    if (id >= this.nameRows.length) this.nameRows = grow(this.nameRows, Math.max(64, this.nameRows.length * 2));
    this.nameIds.set(path, id);
    this.nameText[id] = path;
    this.nameRows[id] = 0;
    return id;
  }

  /** The row for (name, content), created with count 0 if new. */
  private rowFor(name: number, content: number): number {
    const found = this.rowIndex.find(pairHash(name, content), (r) => this.rowName[r] === name && this.rowContent[r] === content);
    if (found !== EMPTY) return found;
    const row = this.rowIds.take()!;
    if (row >= this.rowName.length) {
      const capacity = Math.max(64, this.rowName.length * 2);
      this.rowName = grow(this.rowName, capacity);
      this.rowContent = grow(this.rowContent, capacity);
      this.rowCount = grow(this.rowCount, capacity);
    }
    this.rowName[row] = name;
    this.rowContent[row] = content;
    this.rowCount[row] = 0;
    this.rowIndex.add(row);
    this.nameRows[name]!++;
    return row;
  }

  private freeRow(row: number): void {
    this.rowIndex.delete(row);
    this.rows--;
    this.rowIds.release(row);
    const name = this.rowName[row]!;
    if (--this.nameRows[name]! === 0) {
      this.nameIds.delete(this.nameText[name]!);
      this.nameText[name] = undefined;
      this.names.release(name);
    }
    this.rowName[row] = EMPTY;
  }

  /** Every row sorted by name, rebuilt lazily after a change. */
  private sortedEntries(): ListingItem[] {
    if (this.sorted) return this.sorted;
    const rows: ListingItem[] = [];
    for (let row = 0; row < this.rowIds.high; row++) {
      if (this.rowCount[row]! === 0) continue;
      const content = this.rowContent[row]!;
      rows.push({ name: this.nameText[this.rowName[row]!]!, size: this.contentSize[content]!, hash: this.contentHash[content]!, peers: this.holderCount[content]! });
    }
    rows.sort((a, b) => compareBy('name', a, b));
    this.sorted = rows;
    return rows;
  }
}

// Integer fields of a peer slot (PeerTable).
const FILE_COUNT = 0;
const FILE_BLOCK = 1;
/** Block class of the peer's file set, or EMPTY when it has none. */
const FILE_CLASS = 2;
/** The IPv4 address as an int32 bit pattern (0 when the host is kept as text). */
const IPV4 = 3;
const PORT = 4;
const PEER_INTS = 5;
const SLOT_PAGE_SHIFT = 10;
const SLOT_PAGE = 1 << SLOT_PAGE_SHIFT;
const SLOT_PAGE_MASK = SLOT_PAGE - 1;

/**
 * The fields of every peer slot, in pages of 1024 slots: growing adds a page, so nothing is
 * copied and no outgrown array is left to the allocator (a tracker filling up otherwise leaves
 * as much garbage as it keeps). The peer id is kept as its 16 bytes.
 */
class PeerTable {
  private readonly ints: Int32Array[] = [];
  private readonly sessions: Float64Array[] = [];
  private readonly ids: Buffer[] = [];
  private readonly idWords: Uint32Array[] = [];
  /** Scratch for comparing a peer id with stored ones. */
  private readonly probe = Buffer.alloc(16);
  private readonly probeWords = new Uint32Array(this.probe.buffer, this.probe.byteOffset, 4);

  ensure(slot: number): void {
    while (this.ints.length <= slot >>> SLOT_PAGE_SHIFT) {
      this.ints.push(new Int32Array(SLOT_PAGE * PEER_INTS));
      this.sessions.push(new Float64Array(SLOT_PAGE));
      const ids = Buffer.alloc(SLOT_PAGE * 16);
      this.ids.push(ids);
      this.idWords.push(new Uint32Array(ids.buffer, ids.byteOffset, SLOT_PAGE * 4));
    }
  }

  get(slot: number, field: number): number {
    return this.ints[slot >>> SLOT_PAGE_SHIFT]![(slot & SLOT_PAGE_MASK) * PEER_INTS + field]!;
  }

  set(slot: number, field: number, value: number): void {
    this.ints[slot >>> SLOT_PAGE_SHIFT]![(slot & SLOT_PAGE_MASK) * PEER_INTS + field] = value;
  }

  session(slot: number): number {
    return this.sessions[slot >>> SLOT_PAGE_SHIFT]![slot & SLOT_PAGE_MASK]!;
  }

  setSession(slot: number, session: number): void {
    this.sessions[slot >>> SLOT_PAGE_SHIFT]![slot & SLOT_PAGE_MASK] = session;
  }

  setId(slot: number, hex: string): void {
    this.ids[slot >>> SLOT_PAGE_SHIFT]!.write(hex, (slot & SLOT_PAGE_MASK) * 16, 16, 'hex');
  }

  idHex(slot: number): string {
    const at = (slot & SLOT_PAGE_MASK) * 16;
    const page = this.ids[slot >>> SLOT_PAGE_SHIFT]!;
    return HAS_HEX_SLICE ? (page as HexSliceBuffer).hexSlice(at, at + 16) : page.toString('hex', at, at + 16);
  }

  idHash(slot: number): number {
    const w = this.idWords[slot >>> SLOT_PAGE_SHIFT]!;
    const at = (slot & SLOT_PAGE_MASK) * 4;
    return wordsHash(w[at]!, w[at + 1]!, w[at + 2]!, w[at + 3]!);
  }

  /** Loads `hex` as the id to compare with (matchesProbe) and returns its hash. */
  probeHash(hex: string): number {
    this.probe.write(hex, 0, 16, 'hex');
    const p = this.probeWords;
    return wordsHash(p[0]!, p[1]!, p[2]!, p[3]!);
  }

  matchesProbe(slot: number): boolean {
    const w = this.idWords[slot >>> SLOT_PAGE_SHIFT]!;
    const at = (slot & SLOT_PAGE_MASK) * 4;
    const p = this.probeWords;
    return w[at] === p[0] && w[at + 1] === p[1] && w[at + 2] === p[2] && w[at + 3] === p[3];
  }
}

/**
 * 16 KiB pages for the block pools, shared by all block sizes of one state: a page one size
 * class gives up is the next page another takes, so contents and peers, which pass through
 * every size on their way up, reuse memory instead of leaving it to the allocator.
 */
/**
 * Record ids 0, 1, 2, … (indexes into parallel arrays), each handed out again once
 * released, so the arrays never grow past the most records alive at once.
 */
class IdSpace {
  private readonly free: number[] = [];
  /** One past the largest id ever handed out. */
  high = 0;

  /** A released id, else the next new one; undefined when that would reach `limit`. */
  take(limit = Infinity): number | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    return this.high < limit ? this.high++ : undefined;
  }

  release(id: number): void {
    this.free.push(id);
  }
}

class PageStore {
  private readonly spare: Int32Array[] = [];

  take(): Int32Array {
    return this.spare.pop() ?? new Int32Array(PAGE_CELLS);
  }

  give(page: Int32Array): void {
    if (page.length === PAGE_CELLS && this.spare.length < MAX_SPARE_PAGES) this.spare.push(page);
  }
}

/**
 * Blocks of BLOCK_CELLS[c] int32 cells, kept dense per size class c on shared pages (a block
 * bigger than a page gets an array of its own). Growing takes a page: nothing is copied.
 * Freeing a block moves the last block of its class into the hole (its owner is told the new
 * block number), so a class that shrinks gives its pages back. One allocation per 16 KiB
 * instead of one small typed array (with ~200 bytes of overhead) per peer or content.
 */
class BlockPool {
  private readonly pages: Int32Array[][] = BLOCK_CELLS.map(() => []);
  /** Who holds each block (a peer slot or a content id), to tell it when its block moves; in pages of OWNER_PAGE. */
  private readonly owners: Int32Array[][] = BLOCK_CELLS.map(() => []);
  private readonly used: number[] = BLOCK_CELLS.map(() => 0);

  constructor(
    private readonly store: PageStore,
    private readonly moved: (owner: number, block: number) => void,
  ) {}

  /** The array holding `block` of class `cls`; valid until the next alloc or free. */
  page(cls: number, block: number): Int32Array {
    return this.pages[cls]![Math.floor(block / BLOCKS_PER_PAGE[cls]!)]!;
  }

  /** Where `block` starts in its page. */
  offset(cls: number, block: number): number {
    return (block % BLOCKS_PER_PAGE[cls]!) * BLOCK_CELLS[cls]!;
  }

  alloc(cls: number, owner: number): number {
    const block = this.used[cls]!;
    const pages = this.pages[cls]!;
    if (block >= pages.length * BLOCKS_PER_PAGE[cls]!) {
      if (block + 1 > MAX_BLOCKS) throw new EngineError('too_many', 'tracker state is full');
      pages.push(BLOCK_CELLS[cls]! > PAGE_CELLS ? new Int32Array(BLOCK_CELLS[cls]!) : this.store.take());
    }
    // Owner pages are small and kept at the class's high-water mark.
    const owners = this.owners[cls]!;
    while (owners.length <= block >>> OWNER_PAGE_SHIFT) owners.push(new Int32Array(1 << OWNER_PAGE_SHIFT));
    owners[block >>> OWNER_PAGE_SHIFT]![block & OWNER_PAGE_MASK] = owner;
    this.used[cls] = block + 1;
    return block;
  }

  free(cls: number, block: number): void {
    const last = this.used[cls]! - 1;
    this.used[cls] = last;
    if (block !== last) {
      const from = this.offset(cls, last);
      this.page(cls, block).set(this.page(cls, last).subarray(from, from + BLOCK_CELLS[cls]!), this.offset(cls, block));
      const owners = this.owners[cls]!;
      const owner = owners[last >>> OWNER_PAGE_SHIFT]![last & OWNER_PAGE_MASK]!;
      owners[block >>> OWNER_PAGE_SHIFT]![block & OWNER_PAGE_MASK] = owner;
      this.moved(owner, block);
    }
    const pages = this.pages[cls]!;
    const needed = Math.ceil(last / BLOCKS_PER_PAGE[cls]!);
    while (pages.length > needed) this.store.give(pages.pop()!);
  }
}

/**
 * Open-addressing hash index of non-negative ids (linear probing, backward-shift deletion).
 * The caller hashes its key and says whether an id matches it; `hashOf` re-hashes a stored id.
 * Up to 7/8 full: the peer indexes are read once per session start, so memory wins over probes.
 */
class IdIndex {
  private table = new Int32Array(16).fill(EMPTY);
  private count = 0;

  constructor(private readonly hashOf: (id: number) => number) {}

  find(hash: number, matches: (id: number) => boolean): number {
    const mask = this.table.length - 1;
    for (let i = hash & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
      const id = this.table[i]!;
      if (id === EMPTY) return EMPTY;
      if (matches(id)) return id;
    }
    return EMPTY;
  }

  add(id: number): void {
    if ((this.count + 1) * 8 > this.table.length * 7) this.rehash(this.table.length * 2);
    this.place(id);
    this.count++;
  }

  delete(id: number): void {
    const table = this.table;
    const mask = table.length - 1;
    let i = this.hashOf(id) & mask;
    for (let n = 0; table[i] !== id; i = (i + 1) & mask) if (++n > mask) return;
    for (let j = (i + 1) & mask; table[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.hashOf(table[j]!) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        table[i] = table[j]!;
        i = j;
      }
    }
    table[i] = EMPTY;
    this.count--;
    if (this.table.length > 16 && this.count * 4 < this.table.length) this.rehash(this.table.length / 2);
  }

  private place(id: number): void {
    const mask = this.table.length - 1;
    let i = this.hashOf(id) & mask;
    while (this.table[i] !== EMPTY) i = (i + 1) & mask;
    this.table[i] = id;
  }

  private rehash(size: number): void {
    const old = this.table;
    this.table = new Int32Array(size).fill(EMPTY);
    for (const id of old) if (id !== EMPTY) this.place(id);
  }
}

/**
 * Block sizes in cells: 1, 2, 3, then 4–7 × 2^e, so a block is at most a quarter bigger than
 * needed. The powers of two (4 × 2^e) serve hash sets; large enough for MAX_FILES_PER_PEER.
 */
const BLOCK_CELLS: readonly number[] = [1, 2, 3, ...Array.from({ length: 80 }, (_, i) => (4 + (i % 4)) * 2 ** Math.floor(i / 4))];
/** Cells per page of the block pools (16 KiB): small enough that a small tracker stays small. */
const PAGE_CELLS = 4096;
/** Pages kept for reuse beyond what the pools hold (256 KiB); more go back to the system. */
const MAX_SPARE_PAGES = 16;
/** Blocks of each class on one page (a bigger block has an array of its own). */
const BLOCKS_PER_PAGE: readonly number[] = BLOCK_CELLS.map((cells) => Math.max(1, Math.floor(PAGE_CELLS / cells)));
const OWNER_PAGE_SHIFT = 12;
const OWNER_PAGE_MASK = (1 << OWNER_PAGE_SHIFT) - 1;
/** Block numbers stay well inside int32. */
const MAX_BLOCKS = 2 ** 30;

/** The smallest class of at least `cells` cells. */
function classFor(cells: number): number {
  let lo = 0;
  let hi = BLOCK_CELLS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (BLOCK_CELLS[mid]! < cells) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Files a block of `size` cells may hold: all of them as an array, three quarters as a hash set. */
function fileCapacity(size: number): number {
  return size <= LINEAR_FILES ? size : (size * 3) / 4;
}

/** The class for a file set of `count` files: an array up to LINEAR_FILES, else a power-of-two hash set. */
function fileClass(count: number): number {
  if (count <= LINEAR_FILES) return classFor(count);
  let size = LINEAR_FILES * 2;
  while (count > (size * 3) / 4) size *= 2;
  return classFor(size);
}

/**
 * Buffer's own hexSlice skips toString's argument and encoding handling, which cost as much as
 * the conversion itself on the lookup path (50 peer ids per answer). Undocumented, so checked.
 */
type HexSliceBuffer = Buffer & { hexSlice(start: number, end: number): string };
const HAS_HEX_SLICE = typeof (Buffer.prototype as Partial<HexSliceBuffer>).hexSlice === 'function';

type TypedArray = Int32Array | Float64Array;

function grow<T extends TypedArray>(array: T, length: number): T {
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array as never);
  return out;
}

/** 32-bit integer finalizer (from MurmurHash3 / "lowbias32"): spreads sequential ids over the table. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function pairHash(a: number, b: number): number {
  return mix(mix(a) ^ Math.imul(b, 0x9e3779b1));
}

function wordsHash(a: number, b: number, c: number, d: number): number {
  return mix(pairHash(a, b) ^ Math.imul(pairHash(c, d), 0x85ebca6b));
}

/** FNV-1a over UTF-16 code units, for the rare host that is not an IPv4 address. */
function textHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `a.b.c.d` as an unsigned 32-bit number, only for the canonical spelling (so it prints back the same). */
function parseIpv4(host: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  let ip = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    const n = Number(part);
    if (n > 255 || String(n) !== part) return undefined;
    ip = ip * 256 + n;
  }
  return ip;
}

/** Output of samplePositions (reused: lookups are synchronous). */
const PICKS = new Int32Array(MAX_LOOKUP_PEERS);
const SMALL_SAMPLE = new Int32Array(1024);

/**
 * Fills PICKS[0 … k) with k distinct positions out of 0 … n-1: a uniformly random subset in
 * random order, by a partial Fisher–Yates shuffle (of a scratch array when n is small, else
 * of a virtual one whose few swapped places live in a Map).
 */
function samplePositions(n: number, k: number): void {
  if (n <= SMALL_SAMPLE.length) {
    for (let i = 0; i < n; i++) SMALL_SAMPLE[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(Math.random() * (n - i));
      const picked = SMALL_SAMPLE[j]!;
      SMALL_SAMPLE[j] = SMALL_SAMPLE[i]!;
      PICKS[i] = picked;
    }
    return;
  }
  const swapped = new Map<number, number>();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (n - i));
    PICKS[i] = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
  }
}

function compareBy(key: ListSortKey, a: ListingItem, b: ListingItem): number {
  if (key === 'name') return a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  if (key === 'hash') return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  return a[key] - b[key];
}
