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
 * Rebuilding the sorted rows takes ~1 s at half a million rows. A network that large changes
 * every few milliseconds, so rebuilding at every query after a change would have the tracker
 * doing little else (and hold its control plane for each rebuild). A build that took at least
 * EXACT_BELOW_MS is therefore kept for COST_FACTOR times as long as it took, whatever changes
 * meanwhile: rebuilds then take at most ~1/COST_FACTOR of the tracker's time, and such a
 * listing lags by at most COST_FACTOR builds (~20 s at half a million rows, under one announce
 * interval). Smaller listings stay exact: rebuilt by the first query after any change.
 */
export const LISTING_EXACT_BELOW_MS = 50;
export const LISTING_COST_FACTOR = 20;

export interface ListingViewTiming {
  exactBelowMs: number;
  costFactor: number;
  now: () => number;
}

/**
 * The listing as clients query it: one item per row, searched by name or hash prefix, sorted,
 * and paged to fit one message. The rows sorted by name are cached until the next change (for
 * a listing that is slow to sort, a while longer: LISTING_COST_FACTOR).
 */
export class ListingView {
  private sorted: ListingItem[] | null = null;
  /** The whole listing in another order ("size:desc"…), made from `sorted` once per rebuild. */
  private readonly reordered = new Map<string, ListingItem[]>();
  private changed = true;
  private builtAt = 0;
  private buildMs = 0;
  private readonly timing: ListingViewTiming;

  constructor(
    private readonly rows: ListingRows,
    private readonly contents: ContentHolders,
    timing: Partial<ListingViewTiming> = {},
  ) {
    this.timing = { exactBelowMs: LISTING_EXACT_BELOW_MS, costFactor: LISTING_COST_FACTOR, now: () => performance.now(), ...timing };
  }

  /** The rows changed: the next query rebuilds the sorted rows (or, for a slow listing, one after its cost window). */
  invalidate(): void {
    this.changed = true;
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
      const dir = q.descending ? -1 : 1;
      const order = (a: ListingItem, b: ListingItem) => dir * (compareBy(sort, a, b) || compareBy('name', a, b));
      if (matches === all) {
        // Paging through the whole listing in one order sorts it once, not once per page.
        const key = `${sort}:${dir}`;
        let cached = this.reordered.get(key);
        if (!cached) this.reordered.set(key, (cached = [...all].sort(order)));
        matches = cached;
      } else matches.sort(order);
    }
    return { total: matches.length, items: budgetedPage(matches, q.offset, q.limit) };
  }

  /** Every row sorted by name, rebuilt lazily after a change. */
  private sortedEntries(): ListingItem[] {
    const { timing } = this;
    if (this.sorted && !this.changed) return this.sorted;
    if (this.sorted && this.buildMs >= timing.exactBelowMs && timing.now() - this.builtAt < this.buildMs * timing.costFactor) return this.sorted;
    const started = timing.now();
    const { rows, contents } = this;
    const items: ListingItem[] = [];
    for (let row = 0; row < rows.high; row++) {
      if (rows.announcers[row]! === 0) continue;
      const content = rows.content[row]!;
      items.push({ name: rows.pathOf(rows.name[row]!), size: contents.size[content]!, hash: contents.hash[content]!, peers: contents.holderCount[content]! });
    }
    items.sort((a, b) => compareBy('name', a, b));
    this.sorted = items;
    this.reordered.clear();
    this.changed = false;
    this.builtAt = timing.now();
    this.buildMs = this.builtAt - started;
    return items;
  }
}

function compareBy(key: ListSortKey, a: ListingItem, b: ListingItem): number {
  if (key === 'name') return a.name < b.name ? -1 : a.name > b.name ? 1 : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  if (key === 'hash') return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0;
  return a[key] - b[key];
}

/**
 * Rows of `matches` from `offset`: up to `limit`, or fewer when the message byte budget fills
 * first (the client pages on by the number of rows it got). A peer's own `list` pages alike.
 */
export function budgetedPage(matches: readonly ListingItem[], offset: number, limit: number): ListingItem[] {
  const items: ListingItem[] = [];
  let bytes = 0;
  for (let i = offset; i < matches.length && items.length < limit; i++) {
    const item = matches[i]!;
    bytes += JSON.stringify(item.name).length * NAME_BYTES_PER_CHAR + ITEM_OVERHEAD_BYTES;
    if (bytes > MESSAGE_BUDGET_BYTES && items.length > 0) break;
    items.push(item);
  }
  return items;
}
