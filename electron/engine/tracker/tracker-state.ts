import { MAX_LOOKUP_PEERS } from '../../../shared/protocol/limits.js';
import type { FileAnnouncement, ListingItem, PeerAddress } from '../../../shared/protocol/messages.js';
import { PageStore } from './compact/page-store.js';
import { ContentHolders } from './content-holders.js';
import { FileBudget, type FileBudgetOptions } from './file-budget.js';
import { EMPTY } from './compact/id-space.js';
import { ListingView, type ListQuery, type ListingViewTiming } from './listing-query.js';
import { ListingRows } from './listing-rows.js';
import { PeerDirectory, type PeerRecord } from './peer-directory.js';
import { PeerFiles } from './peer-files.js';
import { PORT } from './compact/peer-table.js';
import { PICKS, samplePositions } from './compact/random-sample.js';
import { SessionTeardown, TEARDOWN_CHUNK } from './session-teardown.js';

export type { ListQuery } from './listing-query.js';
export type { PeerRecord } from './peer-directory.js';

/** A peer id as the protocol requires it. */
const PEER_ID = /^[0-9a-f]{32}$/;

export interface TrackerStateOptions extends FileBudgetOptions {
  /** Peer sessions held at once (default and most MAX_PEER_SLOTS); one more is refused with `tracker_full`. */
  maxPeers?: number;
  /** When the sorted listing is rebuilt (the defaults: ListingView's; tests give a clock). */
  listingTiming?: Partial<ListingViewTiming>;
}

/**
 * What the tracker knows, apart from sockets: who is online, what each has
 * announced, and the queries over it. Content is keyed by hash so a file known
 * under several names has one holder set; the listing shows one row per
 * (name, content) pair with the number of peers holding that content.
 *
 * Layout. A tracker holds one entry per (peer, file), up to millions, so entries are
 * integers in typed arrays rather than objects, strings and Map entries (which cost ~240
 * bytes per entry):
 * - every name, content hash and (name, content) row is kept once and known by a small id
 *   (ListingRows, ContentHolders);
 * - a peer is a slot in paged typed arrays: its id (16 bytes), IPv4 address, port, session
 *   (PeerTable, PeerDirectory);
 * - a peer's files are a set of row ids in a pooled block: an array when small, else a hash
 *   set (PeerFiles, BlockPool);
 * - a content's holders are a sorted array of slots in a pooled block (ContentHolders).
 * With 10 files per peer and ~100 holders per content that is ~20 bytes per entry
 * (bench/tracker-memory.mjs). This class ties them together: every change goes through it,
 * so the counts, the budget and the generation stay in step.
 */
export class TrackerState {
  /** Changes whenever the listing does; clients poll it to know when to refetch. */
  generation = 0;
  readonly budget: FileBudget;
  /** Frees the files of a large session that ended, a chunk per event-loop turn. */
  private readonly teardown = new SessionTeardown(
    (slot, row) => this.removeRow(slot, row),
    (slot) => this.peers.release(slot),
  );
  private readonly peers: PeerDirectory;
  /** Pages shared by the peers' file sets and the contents' holder arrays. */
  private readonly pages = new PageStore();
  private readonly rows = new ListingRows();
  private readonly contents = new ContentHolders(this.pages);
  private readonly files: PeerFiles;
  private readonly listing: ListingView;

  constructor(options: TrackerStateOptions = {}) {
    this.listing = new ListingView(this.rows, this.contents, options.listingTiming);
    this.budget = new FileBudget(options);
    this.peers = new PeerDirectory(options.maxPeers);
    this.files = new PeerFiles(this.peers.table, this.rows, this.pages);
  }

  get peerCount(): number {
    return this.peers.count;
  }

  get contentCount(): number {
    return this.contents.count;
  }

  /** (name, content) rows in the listing. */
  get entries(): number {
    return this.rows.size;
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
    if (!PEER_ID.test(peerId)) throw new RangeError('peer id must be 32 lower-case hex digits');
    const replaced = this.peers.replacedBy(peerId, host, port);
    for (const old of replaced) this.removePeer(old);
    const peer = this.peers.open(peerId, host, port);
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
    this.peers.close(slot);
    this.generation++;
    const rows = this.files.rowsOf(slot);
    if (rows.length > TEARDOWN_CHUNK) {
      this.teardown.start(slot, Int32Array.from(rows));
      return;
    }
    for (const row of rows) this.removeRow(slot, row);
    this.peers.release(slot);
  }

  /** The live session of `peerId` (32 lower-case hex digits), if any. */
  peerById(peerId: string): PeerRecord | undefined {
    return PEER_ID.test(peerId) ? this.peers.findById(peerId) : undefined;
  }

  /** The live session holding peer-table `slot`, if any. */
  peerAtSlot(slot: number): PeerRecord | undefined {
    return this.peers.liveAt(slot);
  }

  hasPeer(peer: PeerRecord): boolean {
    return this.peers.isLive(peer);
  }

  /** Applies an announce; returns how many added files were refused (size contradicting a known hash). */
  announce(peer: PeerRecord, change: { reset: boolean; add: FileAnnouncement[]; remove: string[] }): number {
    let refused = 0;
    if (!this.hasPeer(peer)) return refused;
    const slot = peer.slot;
    const { rows, files, contents } = this;
    if (change.reset) for (const row of files.rowsOf(slot)) this.removeRow(slot, row);
    for (const path of change.remove) {
      const name = rows.nameId(path);
      const row = name === undefined ? EMPTY : files.find(slot, name);
      if (row !== EMPTY) this.removeRow(slot, row);
    }
    for (const file of change.add) {
      const name = rows.nameId(file.path);
      const previous = name === undefined ? EMPTY : files.find(slot, name);
      const refusal = previous === EMPTY ? this.budget.refusal(files.count(slot)) : undefined;
      if (refusal) throw refusal;
      // The content hash commits to the size, so a different size for a known hash is a lie.
      const known = contents.find(file.hash);
      if (known !== undefined && contents.size[known] !== file.size) {
        refused++;
        continue;
      }
      if (previous !== EMPTY) {
        if (contents.hash[rows.content[previous]!] === file.hash) continue; // unchanged
        this.removeRow(slot, previous);
      }
      this.addFile(slot, file);
    }
    return refused;
  }

  list(q: ListQuery): { total: number; items: ListingItem[] } {
    return this.listing.list(q);
  }

  /** Peers holding `hash`, a uniformly random subset in random order, at most MAX_LOOKUP_PEERS, without `exclude`. */
  lookup(hash: string, exclude?: PeerRecord): { size: number; peers: PeerAddress[] } | undefined {
    const contents = this.contents;
    const content = contents.find(hash);
    if (content === undefined) return undefined;
    if (this.teardown.leaving.size > 0) return this.lookupSkippingLeaving(content, exclude);
    // Sample positions among the holders with the excluded one cut out, then map them back.
    const count = contents.holderCount[content]!;
    const cls = contents.holderClass[content]!;
    const block = contents.holderBlock[content]!;
    const cells = contents.pool.page(cls, block);
    const base = contents.pool.offset(cls, block);
    const skip = exclude && this.hasPeer(exclude) ? contents.search(content, exclude.slot) : EMPTY;
    const n = skip >= 0 ? count - 1 : count;
    const k = Math.min(n, MAX_LOOKUP_PEERS);
    samplePositions(n, k);
    const directory = this.peers;
    const table = directory.table;
    const peers: PeerAddress[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const pick = PICKS[i]!;
      const slot = cells[base + (skip >= 0 && pick >= skip ? pick + 1 : pick)]!;
      peers[i] = { peerId: table.idHex(slot), host: directory.hostAt(slot), port: table.get(slot, PORT) };
    }
    return { size: contents.size[content]!, peers };
  }

  /** lookup() while sessions are being freed: their slots are still among the holders, so sample from the live ones. */
  private lookupSkippingLeaving(content: number, exclude: PeerRecord | undefined): { size: number; peers: PeerAddress[] } {
    const contents = this.contents;
    const leaving = this.teardown.leaving;
    const cls = contents.holderClass[content]!;
    const cells = contents.pool.page(cls, contents.holderBlock[content]!);
    const base = contents.pool.offset(cls, contents.holderBlock[content]!);
    const skip = exclude && this.hasPeer(exclude) ? exclude.slot : EMPTY;
    const live: number[] = [];
    for (let i = base, end = base + contents.holderCount[content]!; i < end; i++) {
      const slot = cells[i]!;
      if (slot !== skip && !leaving.has(slot)) live.push(slot);
    }
    const k = Math.min(live.length, MAX_LOOKUP_PEERS);
    samplePositions(live.length, k);
    const directory = this.peers;
    const table = directory.table;
    const peers: PeerAddress[] = new Array(k);
    for (let i = 0; i < k; i++) {
      const slot = live[PICKS[i]!]!;
      peers[i] = { peerId: table.idHex(slot), host: directory.hostAt(slot), port: table.get(slot, PORT) };
    }
    return { size: contents.size[content]!, peers };
  }

  private addFile(slot: number, file: FileAnnouncement): void {
    const content = this.contents.find(file.hash) ?? this.contents.add(file.hash, file.size);
    const row = this.rows.rowFor(file.path, content);
    this.files.insert(slot, row);
    this.budget.used++;
    this.contents.addHolder(content, slot);
    this.rows.hold(row);
    this.listing.invalidate();
    this.generation++;
  }

  /** Takes one of the peer's files out; the row, name and content go with their last holder. */
  private removeRow(slot: number, row: number): void {
    const content = this.rows.content[row]!;
    this.files.delete(slot, row); // first: it hashes the row's name, which release() may clear
    this.budget.used--;
    this.contents.removeHolder(content, slot);
    this.rows.release(row);
    if (this.contents.holderCount[content] === 0) this.contents.free(content);
    this.listing.invalidate();
    this.generation++;
  }
}
