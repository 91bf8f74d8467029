import { BLOCK_CELLS, BlockPool, classFor } from './compact/block-pool.js';
import type { PageStore } from './compact/page-store.js';
import { EMPTY, IdSpace, grow, grownCapacity } from './compact/id-space.js';
import { MAX_PEER_SLOTS } from './compact/peer-table.js';

/**
 * The contents the tracker knows, by content id: hash, size, and the peers holding each. The
 * holders are a sorted array of peer slots in a pooled block (binary search, memmove, random
 * sampling for lookups), as opentracker keeps its per-torrent peer vectors. A content goes
 * with its last holder.
 */
export class ContentHolders {
  /** Content hash of each id (undefined once freed). */
  readonly hash: (string | undefined)[] = [];
  // Parallel arrays by content id. Read-only outside; replaced when they grow.
  size = new Float64Array(0);
  holderCount = new Int32Array(0);
  holderBlock = new Int32Array(0);
  /** Block class of the holder array, or EMPTY when there is none. */
  holderClass = new Int32Array(0);
  /** Blocks of the holder arrays (owner: content id). */
  readonly pool: BlockPool;
  private readonly ids = new Map<string, number>();
  private readonly space = new IdSpace();
  /**
   * A peer holding one content under several names is one holder; the names past the
   * first are counted here, keyed by content id × MAX_PEER_SLOTS + slot (rare).
   */
  private readonly extraHolds = new Map<number, number>();

  constructor(pages: PageStore) {
    this.pool = new BlockPool(pages, (content, block) => (this.holderBlock[content] = block));
  }

  /** Contents held by at least one peer. */
  get count(): number {
    return this.ids.size;
  }

  /** The id of the content with `hash`, if any peer holds it. */
  find(hash: string): number | undefined {
    return this.ids.get(hash);
  }

  /** A new content with no holders yet. */
  add(hash: string, size: number): number {
    const id = this.space.take()!;
    if (id >= this.size.length) {
      const capacity = grownCapacity(this.size.length);
      this.size = grow(this.size, capacity);
      this.holderCount = grow(this.holderCount, capacity);
      this.holderBlock = grow(this.holderBlock, capacity);
      this.holderClass = grow(this.holderClass, capacity);
    }
    this.ids.set(hash, id);
    this.hash[id] = hash;
    this.size[id] = size;
    this.holderCount[id] = 0;
    this.holderClass[id] = EMPTY;
    return id;
  }

  /** Forgets a content whose last holder is gone. */
  free(content: number): void {
    this.ids.delete(this.hash[content]!);
    this.hash[content] = undefined;
    this.space.release(content);
  }

  /** Binary search: the index of `slot` among the holders, or -(insertion point) - 1. */
  search(content: number, slot: number): number {
    const cls = this.holderClass[content]!;
    if (cls < 0) return -1;
    const block = this.holderBlock[content]!;
    const cells = this.pool.page(cls, block);
    const base = this.pool.offset(cls, block);
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

  /** The peer in `slot` holds `content` under one more name. */
  addHolder(content: number, slot: number): void {
    const found = this.search(content, slot);
    if (found >= 0) {
      const key = content * MAX_PEER_SLOTS + slot;
      this.extraHolds.set(key, (this.extraHolds.get(key) ?? 0) + 1);
      return;
    }
    const count = this.holderCount[content]!;
    const current = this.holderClass[content]!;
    if (current < 0 || count + 1 > BLOCK_CELLS[current]!) this.resize(content, classFor(count + 1));
    const cls = this.holderClass[content]!;
    const block = this.holderBlock[content]!;
    const cells = this.pool.page(cls, block);
    const base = this.pool.offset(cls, block);
    const at = -found - 1;
    cells.copyWithin(base + at + 1, base + at, base + count);
    cells[base + at] = slot;
    this.holderCount[content] = count + 1;
  }

  /** The peer in `slot` holds `content` under one name fewer; under none, it is no longer a holder. */
  removeHolder(content: number, slot: number): void {
    const key = content * MAX_PEER_SLOTS + slot;
    const extra = this.extraHolds.get(key);
    if (extra !== undefined) {
      if (extra > 1) this.extraHolds.set(key, extra - 1);
      else this.extraHolds.delete(key);
      return;
    }
    const at = this.search(content, slot);
    if (at < 0) return;
    const cls = this.holderClass[content]!;
    const block = this.holderBlock[content]!;
    const cells = this.pool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.pool.offset(cls, block);
    const count = this.holderCount[content]! - 1;
    cells.copyWithin(base + at, base + at + 1, base + count + 1);
    this.holderCount[content] = count;
    if (count === 0) this.resize(content, EMPTY);
    else if (count * 2 < size && size > 3) this.resize(content, classFor(Math.ceil(count * 1.25))); // under half full: shrink
  }

  /** Moves the holders of `content` into a block of class `cls` (EMPTY: none). */
  private resize(content: number, cls: number): void {
    const old = this.holderClass[content]!;
    const oldBlock = this.holderBlock[content]!;
    if (cls !== EMPTY) {
      const block = this.pool.alloc(cls, content);
      if (old >= 0) {
        const from = this.pool.offset(old, oldBlock);
        const holders = this.pool.page(old, oldBlock).subarray(from, from + this.holderCount[content]!);
        this.pool.page(cls, block).set(holders, this.pool.offset(cls, block));
      }
      this.holderBlock[content] = block;
    }
    if (old >= 0) this.pool.free(old, oldBlock);
    this.holderClass[content] = cls;
  }
}
