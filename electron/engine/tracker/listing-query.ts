import { MESSAGE_BUDGET_BYTES } from '../../../shared/protocol/limits.js';
import type { ListSortKey, ListingItem } from '../../../shared/protocol/messages.js';
import type { ContentHolders } from './content-holders.js';
import type { ListingRows } from './listing-rows.js';

/** A query of this many hex digits or more also matches content hashes by prefix. */
const MIN_HASH_PREFIX = 4;
const MAX_HASH_PREFIX = 64;
/** Worst case UTF-8 bytes per UTF-16 unit of a name, for the page's byte estimate. */
const NAME_BYTES_PER_CHAR = 3;
/** The rest of a listing item on the wire (hash, size, peers, keys), generously. */
const ITEM_OVERHEAD_BYTES = 160;
const HASH_PREFIX = new RegExp(`^[0-9a-f]{${MIN_HASH_PREFIX},${MAX_HASH_PREFIX}}$`);

export interface ListQuery {
  query: string;
  offset: number;
  limit: number;
  sort?: ListSortKey | undefined;
  descending?: boolean | undefined;
}

/**
 * The listing as clients query it: one item per row, searched by name or hash prefix, sorted,
 * and paged to fit one message. The rows sorted by name are cached until the next change.
 */
export class ListingView {
  private sorted: ListingItem[] | null = null;

  constructor(
    private readonly rows: ListingRows,
    private readonly contents: ContentHolders,
  ) {}

  /** The rows changed: the cache is rebuilt by the next query. */
  invalidate(): void {
    this.sorted = null;
  }

  list(q: ListQuery): { total: number; items: ListingItem[] } {
    const all = this.sortedEntries();
    const needle = q.query.trim().toLowerCase();
    const hexPrefix = HASH_PREFIX.test(needle) ? needle : null;
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
      bytes += JSON.stringify(item.name).length * NAME_BYTES_PER_CHAR + ITEM_OVERHEAD_BYTES;
      if (bytes > MESSAGE_BUDGET_BYTES && items.length > 0) break;
      items.push(item);
    }
    return { total: matches.length, items };
  }

  /** Every row sorted by name, rebuilt lazily after a change. */
  private sortedEntries(): ListingItem[] {
    if (this.sorted) return this.sorted;
    const { rows, contents } = this;
    const items: ListingItem[] = [];
    for (let row = 0; row < rows.high; row++) {
      if (rows.announcers[row]! === 0) continue;
      const content = rows.content[row]!;
      items.push({ name: rows.pathOf(rows.name[row]!), size: contents.size[content]!, hash: contents.hash[content]!, peers: contents.holderCount[content]! });
    }
    items.sort((a, b) => compareBy('name', a, b));
    this.sorted = items;
    return items;
  }
}

function compareBy(key: ListSortKey, a: ListingItem, b: ListingItem): number {
  if (key === 'name') return a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  if (key === 'hash') return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  return a[key] - b[key];
}
