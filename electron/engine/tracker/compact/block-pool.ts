import { ProtocolError } from '../../errors.js';
import { PAGE_CELLS, type PageStore } from './page-store.js';

/** Block numbers stay well inside int32. */
const MAX_BLOCKS = 2 ** 30;
const OWNER_PAGE_SHIFT = 12;
const OWNER_PAGE_MASK = (1 << OWNER_PAGE_SHIFT) - 1;

/**
 * Block sizes in cells: 1, 2, 3, then 4–7 × 2^e, so a block is at most a quarter bigger than
 * needed. The powers of two (4 × 2^e) serve hash sets; large enough for MAX_FILES_PER_PEER.
 */
export const BLOCK_CELLS: readonly number[] = [1, 2, 3, ...Array.from({ length: 80 }, (_, i) => (4 + (i % 4)) * 2 ** Math.floor(i / 4))];
/** Blocks of each class on one page (a bigger block has an array of its own). */
const BLOCKS_PER_PAGE: readonly number[] = BLOCK_CELLS.map((cells) => Math.max(1, Math.floor(PAGE_CELLS / cells)));

/** The smallest class of at least `cells` cells. */
export function classFor(cells: number): number {
  let lo = 0;
  let hi = BLOCK_CELLS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (BLOCK_CELLS[mid]! < cells) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Blocks of BLOCK_CELLS[c] int32 cells, kept dense per size class c on shared pages (a block
 * bigger than a page gets an array of its own). Growing takes a page: nothing is copied.
 * Freeing a block moves the last block of its class into the hole (its owner is told the new
 * block number), so a class that shrinks gives its pages back. One allocation per 16 KiB
 * instead of one small typed array (with ~200 bytes of overhead) per peer or content.
 */
export class BlockPool {
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
      if (block + 1 > MAX_BLOCKS) throw new ProtocolError('tracker_full', 'tracker is full: its tables have no room for more files');
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
