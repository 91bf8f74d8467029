import { create } from 'zustand';
import type { ListingRow } from '../../../shared/ipc/contract';
import type { ListSortKey } from '../../../shared/protocol/messages';
import { ApiError, call } from '../api';
import { errorText } from '../error-text';

/**
 * The network listing, fetched lazily in pages as the virtual list scrolls.
 * Pages are keyed by offset on a grid of PAGE_SIZE. The host may answer with
 * fewer rows than asked (long names fill its byte budget first); the rest of
 * that grid cell is then fetched as a continuation page keyed by its own offset.
 */

export const PAGE_SIZE = 200;
/** Pages kept in memory; the ones furthest from the viewport go first. */
const MAX_CACHED_PAGES = 40;
/** `network:changed` can come in bursts: refetch at most this often. */
const REFRESH_DELAY_MS = 250;

export type Pages = Record<number, ListingRow[]>;

export interface NetworkState {
  /** What is typed in the search box; becomes `query` after a short pause. */
  input: string;
  query: string;
  sort: ListSortKey;
  descending: boolean;
  /** Rows matching the query; null until the first page of this query arrives. */
  total: number | null;
  pages: Pages;
  /** Requests in flight. */
  pending: number;
  error: { code: string; message: string } | null;
  /** The host said the listing changed; visible pages are being refetched. */
  refreshing: boolean;
  /** Set when the last page applied came from the listing saved on disk (no tracker answered). */
  stale: { savedAt: number } | null;
  /** Bumped when query or sort change: answers for an older generation are dropped. */
  generation: number;
  visible: { first: number; last: number };
  setInput(input: string): void;
  setQuery(query: string): void;
  setSort(key: ListSortKey): void;
  /** The viewport shows rows [first, last): fetch whatever is missing. */
  ensureRange(first: number, last: number): void;
  /** The listing changed on the host: refetch what is on screen. */
  invalidate(): void;
  retry(): void;
}

/** The row at `index`, if its page is loaded. */
export function rowAt(pages: Pages, index: number): ListingRow | undefined {
  let offset = Math.floor(index / PAGE_SIZE) * PAGE_SIZE;
  for (;;) {
    const page = pages[offset];
    if (!page || page.length === 0) return undefined;
    if (index < offset + page.length) return page[index - offset];
    offset += page.length;
  }
}

/** The requests needed to cover rows [first, last). */
export function missingRequests(pages: Pages, first: number, last: number, total: number | null): Array<{ offset: number; limit: number }> {
  if (total === null) return pages[0] ? [] : [{ offset: 0, limit: PAGE_SIZE }];
  const out: Array<{ offset: number; limit: number }> = [];
  const end = Math.min(last, total);
  for (let cell = Math.floor(Math.max(0, first) / PAGE_SIZE) * PAGE_SIZE; cell < end; cell += PAGE_SIZE) {
    const cellEnd = Math.min(cell + PAGE_SIZE, total);
    for (let offset = cell; offset < cellEnd; ) {
      const page = pages[offset];
      if (!page) {
        out.push({ offset, limit: cell + PAGE_SIZE - offset });
        break;
      }
      if (page.length === 0) break;
      offset += page.length;
    }
  }
  return out;
}

function evict(pages: Pages, visible: { first: number; last: number }): Pages {
  const offsets = Object.keys(pages).map(Number);
  if (offsets.length <= MAX_CACHED_PAGES) return pages;
  const centre = (visible.first + visible.last) / 2;
  offsets.sort((a, b) => Math.abs(a - centre) - Math.abs(b - centre));
  const kept: Pages = {};
  for (const offset of offsets.slice(0, MAX_CACHED_PAGES)) kept[offset] = pages[offset]!;
  return kept;
}

export const useNetworkStore = create<NetworkState>()((set, get) => {
  let seq = 0;
  /** Highest request sequence applied per offset: a slow old answer never overwrites a newer one. */
  const applied = new Map<number, number>();
  const inFlight = new Set<string>();
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  /** `force` skips the in-flight check: a refresh must not piggyback on an answer computed before the change. */
  async function fetchPage(offset: number, limit: number, force = false): Promise<void> {
    const { generation, query, sort, descending } = get();
    const key = `${generation}:${offset}:${limit}`;
    if (inFlight.has(key) && !force) return;
    inFlight.add(key);
    const mine = ++seq;
    set((s) => ({ pending: s.pending + 1 }));
    try {
      const page = await call('network:list', { query, offset, limit, sort, descending });
      if (get().generation !== generation || (applied.get(offset) ?? 0) > mine) return;
      applied.set(offset, mine);
      set((s) => {
        let pages: Pages = { ...s.pages, [offset]: page.items };
        if (s.total !== null && page.total < s.total) {
          pages = Object.fromEntries(Object.entries(pages).filter(([o]) => Number(o) < page.total));
        }
        return { pages: evict(pages, s.visible), total: page.total, error: null, stale: page.stale ?? null };
      });
    } catch (err) {
      if (get().generation !== generation) return;
      set({ error: { code: err instanceof ApiError ? err.code : 'unknown', message: errorText(err) } });
    } finally {
      inFlight.delete(key);
      set((s) => ({ pending: s.pending - 1, refreshing: s.pending - 1 > 0 && s.refreshing }));
    }
  }

  function restart(patch: Partial<NetworkState>): void {
    applied.clear();
    set((s) => ({ ...patch, generation: s.generation + 1, pages: {}, error: null, refreshing: false, visible: { first: 0, last: PAGE_SIZE } }));
    void fetchPage(0, PAGE_SIZE);
  }

  function refresh(): void {
    refreshTimer = undefined;
    const { visible, pages, total } = get();
    const cells = new Set<number>();
    for (let cell = Math.floor(visible.first / PAGE_SIZE) * PAGE_SIZE; cell < Math.max(visible.last, 1); cell += PAGE_SIZE) cells.add(cell);
    // Off-screen pages are dropped, not refetched: they load again when scrolled to.
    const kept: Pages = {};
    for (const cell of cells) if (pages[cell]) kept[cell] = pages[cell];
    set({ pages: kept, refreshing: true });
    if (total === null || cells.size === 0) cells.add(0);
    for (const cell of cells) void fetchPage(cell, PAGE_SIZE, true);
  }

  return {
    input: '',
    query: '',
    sort: 'name',
    descending: false,
    total: null,
    pages: {},
    pending: 0,
    error: null,
    refreshing: false,
    stale: null,
    generation: 0,
    visible: { first: 0, last: PAGE_SIZE },

    setInput(input) {
      set({ input });
    },
    setQuery(query) {
      if (query === get().query) return;
      restart({ query });
    },
    setSort(key) {
      const { sort, descending } = get();
      restart(key === sort ? { descending: !descending } : { sort: key, descending: false });
    },
    ensureRange(first, last) {
      const v = get().visible;
      if (v.first !== first || v.last !== last) set({ visible: { first, last } });
      const { pages, total } = get();
      for (const { offset, limit } of missingRequests(pages, first, last, total)) void fetchPage(offset, limit);
    },
    invalidate() {
      if (refreshTimer === undefined) refreshTimer = setTimeout(refresh, REFRESH_DELAY_MS);
    },
    retry() {
      set({ error: null });
      clearTimeout(refreshTimer);
      refresh();
    },
  };
});
