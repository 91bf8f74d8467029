import { IdIndex } from './compact/id-index.js';
import { EMPTY, IdSpace, grow, grownCapacity } from './compact/id-space.js';
import { pairHash } from './compact/int-hash.js';

/**
 * The listing's rows: distinct (name, content) pairs, each with how many peers announce it,
 * and the names (paths) they use, each kept once however many peers use it. Rows and names
 * are small ids into parallel typed arrays; a peer's file set stores row ids.
 */
export class ListingRows {
  /** Name id of each row (EMPTY once freed). Read-only outside; replaced when it grows. */
  name = new Int32Array(0);
  /** Content id of each row. Read-only outside; replaced when it grows. */
  content = new Int32Array(0);
  /** Peers announcing each row; 0 for a free row. Read-only outside; replaced when it grows. */
  announcers = new Int32Array(0);
  private readonly index = new IdIndex((row) => pairHash(this.name[row]!, this.content[row]!));
  private readonly ids = new IdSpace();
  private live = 0;

  private readonly nameIds = new Map<string, number>();
  private readonly nameText: (string | undefined)[] = [];
  /** Rows using each name: the name is freed with its last row. */
  private nameRows = new Int32Array(0);
  private readonly names = new IdSpace();

  /** Rows announced by at least one peer. */
  get size(): number {
    return this.live;
  }

  /** One past the largest row id in use: rows are 0 … high-1, the free ones with no announcers. */
  get high(): number {
    return this.ids.high;
  }

  /** The id of name `path`, if any row uses it. */
  nameId(path: string): number | undefined {
    return this.nameIds.get(path);
  }

  pathOf(name: number): string {
    return this.nameText[name]!;
  }

  /** The row for (path, content), created with no announcers if new. */
  rowFor(path: string, content: number): number {
    const name = this.nameIds.get(path) ?? this.newName(path);
    const found = this.index.find(pairHash(name, content), (r) => this.name[r] === name && this.content[r] === content);
    if (found !== EMPTY) return found;
    const row = this.ids.take()!;
    if (row >= this.name.length) {
      const capacity = grownCapacity(this.name.length);
      this.name = grow(this.name, capacity);
      this.content = grow(this.content, capacity);
      this.announcers = grow(this.announcers, capacity);
    }
    this.name[row] = name;
    this.content[row] = content;
    this.announcers[row] = 0;
    this.index.add(row);
    this.nameRows[name]!++;
    return row;
  }

  /** One more peer announces `row`. */
  hold(row: number): void {
    if (this.announcers[row]!++ === 0) this.live++;
  }

  /** One peer fewer announces `row`; the last one frees it (and its name, if no other row uses it). */
  release(row: number): void {
    if (--this.announcers[row]! === 0) this.free(row);
  }

  private newName(path: string): number {
    const id = this.names.take()!;
    if (id >= this.nameRows.length) this.nameRows = grow(this.nameRows, grownCapacity(this.nameRows.length));
    this.nameIds.set(path, id);
    this.nameText[id] = path;
    this.nameRows[id] = 0;
    return id;
  }

  private free(row: number): void {
    this.index.delete(row);
    this.live--;
    this.ids.release(row);
    const name = this.name[row]!;
    if (--this.nameRows[name]! === 0) {
      this.nameIds.delete(this.nameText[name]!);
      this.nameText[name] = undefined;
      this.names.release(name);
    }
    this.name[row] = EMPTY;
  }
}
