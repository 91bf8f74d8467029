/**
 * A token bucket per source address, so a flood from one address does not starve the others.
 * Memory is bounded whatever arrives: at most `maxSources` buckets, in fixed typed arrays; when
 * full, the bucket created longest ago is evicted (slots are reused round-robin). An
 * evicted source starts again with a full bucket, which bounds what eviction can give a
 * flooder to one burst per `maxSources` new addresses.
 *
 * Keys are the caller's: see ip-address.ts sourceKey (IPv4 address or IPv6 /64).
 */

export const DEFAULT_SOURCE_RATE_PER_SECOND = 200;
export const DEFAULT_SOURCE_BURST = 400;
export const DEFAULT_MAX_SOURCES = 65_536;

export type SourceLimiterOptions = {
  /** Datagrams per second a source may send in steady state. */
  ratePerSecond?: number;
  /** Datagrams a source may send at once after being quiet. */
  burst?: number;
  /** Most sources tracked at once. */
  maxSources?: number;
  /** Milliseconds, monotonic enough; tests inject a clock. */
  now?: () => number;
};

export class SourceLimiter {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  private readonly now: () => number;
  private readonly slots = new Map<string, number>();
  private readonly tokens: Float64Array;
  private readonly stamps: Float64Array;
  /** The source each slot belongs to, for eviction. */
  private readonly keys: (string | undefined)[];
  private nextSlot = 0;

  constructor(options: SourceLimiterOptions = {}) {
    const rate = options.ratePerSecond ?? DEFAULT_SOURCE_RATE_PER_SECOND;
    this.burst = options.burst ?? DEFAULT_SOURCE_BURST;
    this.maxSources = options.maxSources ?? DEFAULT_MAX_SOURCES;
    if (!(rate > 0) || !(this.burst >= 1) || !Number.isInteger(this.maxSources) || this.maxSources < 1) {
      throw new RangeError('a source limiter needs ratePerSecond > 0, burst ≥ 1 and maxSources ≥ 1');
    }
    this.ratePerMs = rate / 1000;
    this.now = options.now ?? (() => performance.now());
    this.tokens = new Float64Array(this.maxSources);
    this.stamps = new Float64Array(this.maxSources);
    this.keys = new Array<string | undefined>(this.maxSources).fill(undefined);
  }

  /** Sources currently tracked (≤ maxSources). */
  get size(): number {
    return this.slots.size;
  }

  /** Takes one token from `source`'s bucket; false when it is empty (the datagram should be dropped as rate_limited). */
  allow(source: string): boolean {
    const now = this.now();
    let slot = this.slots.get(source);
    if (slot === undefined) {
      slot = this.claimSlot();
      this.slots.set(source, slot);
      this.keys[slot] = source;
      this.tokens[slot] = this.burst - 1;
      this.stamps[slot] = now;
      return true;
    }
    const elapsed = Math.max(0, now - this.stamps[slot]!);
    const tokens = Math.min(this.burst, this.tokens[slot]! + elapsed * this.ratePerMs);
    this.stamps[slot] = now;
    if (tokens < 1) {
      this.tokens[slot] = tokens;
      return false;
    }
    this.tokens[slot] = tokens - 1;
    return true;
  }

  /** Slots are handed out round-robin, so the next one is always the oldest source's. */
  private claimSlot(): number {
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.maxSources;
    const previous = this.keys[slot];
    if (previous !== undefined) this.slots.delete(previous);
    return slot;
  }

  /** Forgets every source (e.g. on stop). */
  clear(): void {
    this.slots.clear();
    this.keys.fill(undefined);
    this.nextSlot = 0;
  }
}
