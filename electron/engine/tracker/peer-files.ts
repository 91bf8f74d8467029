import { BLOCK_CELLS, BlockPool, classFor } from './compact/block-pool.js';
import type { PageStore } from './compact/page-store.js';
import { EMPTY } from './compact/id-space.js';
import { mix } from './compact/int-hash.js';
import type { ListingRows } from './listing-rows.js';
import { FILE_BLOCK, FILE_CLASS, FILE_COUNT, type PeerTable } from './compact/peer-table.js';

/** A peer's file set up to this size is a plain array (scanning 16 ints beats hashing). */
const LINEAR_FILES = 16;

/**
 * The files each peer slot announced: a set of row ids in a pooled block. Up to LINEAR_FILES
 * of them: a plain array, scanned. More: an open-addressing hash set keyed by the row's name
 * id (power-of-two size, at most 3/4 full), so a peer's file is found by its path in O(1).
 * The count, block and class live in the slot's fields of the peer table.
 */
export class PeerFiles {
  /** Blocks of the file sets (owner: slot). */
  private readonly pool: BlockPool;

  constructor(
    private readonly table: PeerTable,
    private readonly rows: ListingRows,
    pages: PageStore,
  ) {
    this.pool = new BlockPool(pages, (slot, block) => table.set(slot, FILE_BLOCK, block));
  }

  count(slot: number): number {
    return this.table.get(slot, FILE_COUNT);
  }

  /** Row ids of the peer's files. */
  rowsOf(slot: number): number[] {
    const cls = this.table.get(slot, FILE_CLASS);
    if (cls < 0) return [];
    const block = this.table.get(slot, FILE_BLOCK);
    const cells = this.pool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.pool.offset(cls, block);
    if (size <= LINEAR_FILES) return Array.from(cells.subarray(base, base + this.table.get(slot, FILE_COUNT)));
    const rows: number[] = [];
    for (let i = base; i < base + size; i++) if (cells[i] !== EMPTY) rows.push(cells[i]!);
    return rows;
  }

  /** The peer's row for name id `name`, or EMPTY. */
  find(slot: number, name: number): number {
    const cls = this.table.get(slot, FILE_CLASS);
    if (cls < 0) return EMPTY;
    const block = this.table.get(slot, FILE_BLOCK);
    const cells = this.pool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.pool.offset(cls, block);
    const rowName = this.rows.name;
    if (size <= LINEAR_FILES) {
      for (let i = base, end = base + this.table.get(slot, FILE_COUNT); i < end; i++) if (rowName[cells[i]!] === name) return cells[i]!;
      return EMPTY;
    }
    const mask = size - 1;
    for (let i = mix(name) & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
      const row = cells[base + i]!;
      if (row === EMPTY) return EMPTY;
      if (rowName[row] === name) return row;
    }
    return EMPTY;
  }

  insert(slot: number, row: number): void {
    const count = this.table.get(slot, FILE_COUNT);
    const current = this.table.get(slot, FILE_CLASS);
    if (current < 0 || count + 1 > fileCapacity(BLOCK_CELLS[current]!)) this.resize(slot, fileClass(count + 1));
    const cls = this.table.get(slot, FILE_CLASS);
    const block = this.table.get(slot, FILE_BLOCK);
    const cells = this.pool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.pool.offset(cls, block);
    if (size <= LINEAR_FILES) cells[base + count] = row;
    else this.hashPlace(cells, base, size - 1, row);
    this.table.set(slot, FILE_COUNT, count + 1);
  }

  delete(slot: number, row: number): void {
    const cls = this.table.get(slot, FILE_CLASS);
    const block = this.table.get(slot, FILE_BLOCK);
    const cells = this.pool.page(cls, block);
    const size = BLOCK_CELLS[cls]!;
    const base = this.pool.offset(cls, block);
    const count = this.table.get(slot, FILE_COUNT) - 1;
    if (size <= LINEAR_FILES) {
      let i = base;
      while (cells[i] !== row) i++;
      cells[i] = cells[base + count]!; // the last one fills the hole
    } else {
      const rowName = this.rows.name;
      const mask = size - 1;
      let i = mix(rowName[row]!) & mask;
      while (cells[base + i] !== row) i = (i + 1) & mask;
      // Backward-shift deletion: pull later members of the probe run into the hole, so no tombstones.
      for (let j = (i + 1) & mask; cells[base + j] !== EMPTY; j = (j + 1) & mask) {
        const home = mix(rowName[cells[base + j]!]!) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
          cells[base + i] = cells[base + j]!;
          i = j;
        }
      }
      cells[base + i] = EMPTY;
    }
    this.table.set(slot, FILE_COUNT, count);
    // Shrink once well under capacity, leaving room to grow back without moving again at once.
    if (count === 0) this.resize(slot, EMPTY);
    else if (count * 4 < fileCapacity(size) && size > 3) this.resize(slot, fileClass(Math.ceil(count * 1.5)));
  }

  private hashPlace(cells: Int32Array, base: number, mask: number, row: number): void {
    let i = mix(this.rows.name[row]!) & mask;
    while (cells[base + i] !== EMPTY) i = (i + 1) & mask;
    cells[base + i] = row;
  }

  /** Moves the peer's files into a block of class `cls` (EMPTY: none). */
  private resize(slot: number, cls: number): void {
    const old = this.table.get(slot, FILE_CLASS);
    if (cls === old) return;
    const rows = this.rowsOf(slot);
    const oldBlock = this.table.get(slot, FILE_BLOCK);
    if (cls !== EMPTY) {
      const block = this.pool.alloc(cls, slot);
      const cells = this.pool.page(cls, block);
      const size = BLOCK_CELLS[cls]!;
      const base = this.pool.offset(cls, block);
      if (size <= LINEAR_FILES) cells.set(rows, base);
      else {
        cells.fill(EMPTY, base, base + size);
        for (const row of rows) this.hashPlace(cells, base, size - 1, row);
      }
      this.table.set(slot, FILE_BLOCK, block);
    }
    if (old >= 0) this.pool.free(old, oldBlock);
    this.table.set(slot, FILE_CLASS, cls);
  }
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
