import { MAX_LIST_PAGE } from '../../../shared/protocol/limits.js';
import type { ListingItem } from '../../../shared/protocol/messages.js';
import { pageOfListing, type NetworkCache } from '../discovery/network-cache.js';
import { EngineError } from '../errors.js';
import type { ListParams } from './tracker-client.js';
import type { TrackerPool } from './tracker-pool.js';
import type { LanCatalog } from '../discovery/lan-catalog.js';

/** Rows in a merged page when the caller gives no limit (the tracker's own default). */
const DEFAULT_PAGE_LIMIT = 100;

export interface ListResult {
  total: number;
  items: ListingItem[];
  /** Set when no tracker answered and this page comes from the cached listing. */
  stale?: { savedAt: number };
}

export type FullListing = ListingItem[] & { stale?: { savedAt: number } };

/**
 * The network's listing as one: pages merged over every reachable tracker,
 * or, with none answering, served from the last listing saved.
 */
export class NetworkListing {
  constructor(
    private readonly trackers: TrackerPool,
    private readonly cache: NetworkCache,
    /** Members found on this network: one more source, merged like a tracker's page. */
    private readonly lan: () => LanCatalog | undefined = () => undefined,
  ) {}

  async list(params: ListParams = {}, allowStale = true): Promise<ListResult> {
    const lan = this.lan();
    const [replies, lanRows] = await Promise.all([
      Promise.allSettled(this.trackers.connected().map((t) => t.list(params))),
      lan?.active ? lan.listing().catch(() => []) : undefined,
    ]);
    const ok: Array<{ total: number; items: ListingItem[] }> = replies.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (lanRows) ok.push(pageOfListing(lanRows, { ...params, limit: params.limit ?? DEFAULT_PAGE_LIMIT }));
    if (ok.length === 0) {
      const cached = this.cache.listing;
      if (allowStale && cached) return { ...pageOfListing(cached.items, params), stale: { savedAt: cached.savedAt } };
      const refusal = this.trackers.refusal();
      if (refusal) throw refusal;
      throw new EngineError('tracker_unreachable', `no tracker answered the listing request (${this.trackers.addresses().join(', ') || 'none configured'}), and there is no saved listing yet`);
    }
    if (ok.length === 1) return { total: ok[0]!.total, items: ok[0]!.items };
    // One row per (name, content); trackers that disagree on holders: the larger count wins.
    const merged = new Map<string, ListingItem>();
    for (const reply of ok) {
      for (const item of reply.items) {
        const key = `${item.name}\0${item.hash}`;
        const seen = merged.get(key);
        if (!seen || seen.peers < item.peers) merged.set(key, item);
      }
    }
    return { total: Math.max(...ok.map((r) => r.total)), items: [...merged.values()].slice(0, params.limit ?? DEFAULT_PAGE_LIMIT) };
  }

  /** Every listing row matching `query`, all pages. */
  async listAll(query = '', allowStale = true): Promise<FullListing> {
    const items: FullListing = [];
    // Pages may hold fewer than `limit` rows (long names fill the byte budget first): advance by what came back.
    for (let offset = 0; ; ) {
      const page = await this.list({ query, offset, limit: MAX_LIST_PAGE }, allowStale);
      if (page.stale) items.stale = page.stale;
      items.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) break;
    }
    // A live full listing is the copy kept for when no tracker answers (a filtered one is not the listing).
    if (query === '' && !items.stale) this.cache.setListing(items);
    return items;
  }
}
