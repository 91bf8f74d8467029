import { EMPTY } from './id-space.js';

/** Smallest table: the index of a small tracker stays small. */
const MIN_TABLE = 16;

/**
 * Open-addressing hash index of non-negative ids (linear probing, backward-shift deletion).
 * The caller hashes its key and says whether an id matches it; `hashOf` re-hashes a stored id.
 * Up to 7/8 full: the peer indexes are read once per session start, so memory wins over probes.
 */
export class IdIndex {
  private table = new Int32Array(MIN_TABLE).fill(EMPTY);
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
    if (this.table.length > MIN_TABLE && this.count * 4 < this.table.length) this.rehash(this.table.length / 2);
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
