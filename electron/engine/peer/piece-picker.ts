import { shuffle } from './holder-search.js';
import type { PeerSource } from './peer-source.js';

/** A source is asked for a piece another source is still sending (endgame) by at most this many at once. */
const MAX_SENDERS_PER_PIECE = 2;

/** What the picker needs to know of the pieces on disk. */
export interface PiecesOnDisk {
  readonly pieceCount: number;
  readonly complete: boolean;
  has(index: number): boolean;
}

/**
 * Which piece to ask which source for next. Owns the pool of unrequested
 * pieces (random order, so downloaders of one file end up with different
 * pieces to trade), who is sending what, and which received pieces are being
 * checked and written. One per transfer.
 */
export class PiecePicker {
  private readonly pool: number[] = [];
  private readonly requestedBy = new Map<number, Set<PeerSource>>();
  /** Pieces received and being checked and written: neither in flight nor done. */
  private readonly storing = new Set<number>();
  /** Most pieces waiting for the disk at once (diagnostics and tests). */
  peakStoring = 0;

  constructor(private readonly disk: PiecesOnDisk) {
    this.refill();
  }

  get storingCount(): number {
    return this.storing.size;
  }

  /** True when the piece is already received (being written) or on disk. */
  received(index: number): boolean {
    return this.disk.has(index) || this.storing.has(index);
  }

  /** Next piece for `source`: an unrequested one, or in endgame a piece another peer is still sending. */
  pick(source: PeerSource): number | undefined {
    for (let at = this.pool.length - 1; at >= 0; at--) {
      const index = this.pool[at]!;
      if (this.received(index) || this.requestedBy.get(index)?.size) {
        this.pool.splice(at, 1); // done or taken meanwhile
        continue;
      }
      if (!source.hasPiece(index)) continue; // a partial holder without this piece
      this.pool.splice(at, 1);
      return index;
    }
    for (const [index, holders] of this.requestedBy) {
      if (!holders.has(source) && !this.disk.has(index) && holders.size < MAX_SENDERS_PER_PIECE && source.hasPiece(index)) return index;
    }
    if (this.requestedBy.size === 0 && this.storing.size === 0 && this.pool.length === 0 && !this.disk.complete) {
      // Nothing queued and nothing in flight, yet pieces are missing: re-derive the pool rather than stall.
      this.refill();
      return this.pick(source);
    }
    return undefined;
  }

  /** `source` was asked for `index`. */
  requested(source: PeerSource, index: number): void {
    source.inflight.add(index);
    let holders = this.requestedBy.get(index);
    if (!holders) this.requestedBy.set(index, (holders = new Set()));
    holders.add(source);
  }

  /** `source` is no longer sending `index` (it arrived, failed or was dropped). */
  released(source: PeerSource, index: number): void {
    source.inflight.delete(index);
    const holders = this.requestedBy.get(index);
    holders?.delete(source);
    if (holders && holders.size === 0) this.requestedBy.delete(index);
  }

  /** Puts a piece back in the pool unless it is received or someone else is still sending it. */
  giveBack(index: number): void {
    if (!this.received(index) && !this.requestedBy.get(index)?.size) this.pool.push(index);
  }

  /** The other sources still sending `index`. */
  sendersOf(index: number): Iterable<PeerSource> {
    return this.requestedBy.get(index) ?? [];
  }

  beginStoring(index: number): void {
    this.storing.add(index);
    this.peakStoring = Math.max(this.peakStoring, this.storing.size);
  }

  endStoring(index: number): void {
    this.storing.delete(index);
  }

  /** Forgets who sends what (the sources are closed). */
  clearRequests(): void {
    this.requestedBy.clear();
  }

  private refill(): void {
    this.pool.length = 0;
    for (let i = this.disk.pieceCount - 1; i >= 0; i--) if (!this.disk.has(i)) this.pool.push(i);
    shuffle(this.pool);
  }
}
