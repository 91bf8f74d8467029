import type { NetworkCache } from '../discovery/network-cache.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FullListing } from './listing.js';
import type { TrackerPool } from './tracker-pool.js';

export const LISTING_REFRESH_MS = 5000;
/** A full listing copy is refetched at most this often, however busy the network. */
const LISTING_MIN_GAP_MS = 15_000;
/**
 * And at most once per this many ms per online peer: every peer keeps its own copy, so the
 * trackers' cost grows with peers × listing size. 10,000 peers: once every ~17 min each.
 */
const LISTING_GAP_MS_PER_PEER = 100;
/**
 * Above this many online peers no copy is fetched on its own: a million peers each pulling a
 * listing of half a million rows would be the trackers' whole load. The copy kept is then the
 * last full listing this peer asked for (`p2pclient -list`), which NetworkListing saves.
 */
export const AUTO_COPY_MAX_PEERS = 10_000;

/** How long a peer waits between copies of the full listing when `online` peers are online (Infinity: it fetches none on its own). */
export function listingCopyGapMs(online: number): number {
  if (online > AUTO_COPY_MAX_PEERS) return Infinity;
  return Math.max(LISTING_MIN_GAP_MS, online * LISTING_GAP_MS_PER_PEER);
}
/** With each saved listing, who holds its first this-many contents (peer lists for when no tracker answers). */
const LISTING_HOLDERS_REMEMBERED = 200;

export interface ListingRefresherOptions {
  trackers: TrackerPool;
  cache: NetworkCache;
  /** The full live listing, never the stale copy. */
  fetchAll: () => Promise<FullListing>;
  rememberHolders: (hashes: string[]) => Promise<void>;
  logger: Logger;
  intervalMs?: number | undefined;
}

/**
 * Keeps a copy of the full listing on disk while a tracker answers, refetched
 * when a tracker's listing generation changes (no more often than the network's
 * size allows, listingCopyGapMs), so `list` still works offline.
 */
export class ListingRefresher {
  private timer: NodeJS.Timeout | undefined;
  private generation = '';
  private fetchedAt = 0;

  constructor(private readonly options: ListingRefresherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? LISTING_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const { trackers, cache } = this.options;
    if (trackers.connected().length === 0) return;
    try {
      const stats = await trackers.stats();
      const generation = stats.map((s) => `${s.address}:${s.generation}`).join(',');
      if (generation === this.generation) return;
      const gap = listingCopyGapMs(Math.max(0, ...stats.map((s) => s.peers)));
      if (gap === Infinity || (Date.now() - this.fetchedAt < gap && cache.listing)) return;
      // fetchAll saves the copy (NetworkListing.listAll saves every live full listing).
      const items = await this.options.fetchAll();
      this.generation = generation;
      this.fetchedAt = Date.now();
      await this.options.rememberHolders(items.slice(0, LISTING_HOLDERS_REMEMBERED).map((i) => i.hash));
    } catch (err) {
      this.options.logger.debug(`listing cache refresh failed: ${errorMessage(err)}`);
    }
  }
}
