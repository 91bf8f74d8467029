import type { NetworkCache } from '../discovery/network-cache.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FullListing } from './listing.js';
import type { TrackerPool } from './tracker-pool.js';

export const LISTING_REFRESH_MS = 5000;
/** A full listing copy is refetched at most this often, however busy the network. */
const LISTING_MIN_GAP_MS = 15_000;
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
 * when a tracker's listing generation changes, so `list` still works offline.
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
      if (Date.now() - this.fetchedAt < LISTING_MIN_GAP_MS && cache.listing) return;
      const items = await this.options.fetchAll();
      this.generation = generation;
      this.fetchedAt = Date.now();
      cache.setListing(items);
      await this.options.rememberHolders(items.slice(0, LISTING_HOLDERS_REMEMBERED).map((i) => i.hash));
    } catch (err) {
      this.options.logger.debug(`listing cache refresh failed: ${errorMessage(err)}`);
    }
  }
}
