import type { PeerAddress } from '../../../shared/protocol/messages.js';
import { formatBytes } from '../../../shared/format.js';
import { EngineError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/** How often to ask the trackers again when no usable peer is left. */
const PEER_RETRY_DELAYS_MS = [500, 1000, 2000, 4000];
/** Stalled (no holder reachable): ask again after this, doubling up to the max, until one is back. */
const STALL_POLL_MIN_MS = 1000;
const STALL_POLL_MAX_MS = 5000;

export interface HolderSearchOptions {
  hash: string;
  name: string;
  selfPeerId: string;
  /** Who has this content right now (trackers, peer exchange, DHT). */
  findPeers: (hash: string) => Promise<PeerAddress[]>;
  logger: Logger;
  /** Peers banned for this content: never candidates. */
  banned: ReadonlySet<string>;
  /** Addresses of the sources connected now: not candidates again. */
  connected: () => PeerAddress[];
  /** Verified bytes so far, for the message when the search gives up. */
  bytesDone: () => number;
  /** Entered `stalled`: nobody reachable has it. */
  onStalled: () => void;
  retryDelaysMs?: number[] | undefined;
  /** How long to wait stalled before failing with no_peers; absent: as long as it takes. */
  stallTimeoutMs?: number | undefined;
  stallPollMs?: { min: number; max: number } | undefined;
}

/**
 * The candidate holders of one download, and how it looks for more: random
 * order, a few quick retries when the list runs dry, then `stalled` with
 * backoff until a holder is listed again. One per download run.
 */
export class HolderSearch {
  private candidates: PeerAddress[] = [];
  private retryIndex = 0;
  private stalledSince: number | undefined;
  private stallDelay = 0;

  constructor(
    private readonly options: HolderSearchOptions,
    private readonly signal: AbortSignal,
  ) {}

  get size(): number {
    return this.candidates.length;
  }

  /** The next candidate to connect to, if any is known. */
  take(): PeerAddress | undefined {
    return this.candidates.shift();
  }

  /** The next candidate, asking again (with backoff, then stalled) until one is found. */
  async next(): Promise<PeerAddress> {
    for (;;) {
      const next = this.candidates.shift();
      if (next) return next;
      await this.refresh();
    }
  }

  /** A verified piece arrived: the quick retries apply afresh if the sources go. */
  progressed(): void {
    this.retryIndex = 0;
  }

  /**
   * A source answered. Returns true when that ends a stall (the caller changes
   * state back); a holder remembered from earlier may be listed and still be
   * gone, so only an answer ends it.
   */
  answered(): boolean {
    if (this.stalledSince === undefined) return false;
    this.stalledSince = undefined;
    this.retryIndex = 1; // the short retries apply again if this holder goes too
    this.options.logger.info(`${this.options.name}: a holder is back; resuming`);
    return true;
  }

  /** Fills the candidates anew: a quick retry, or a stalled wait once those are used up. */
  async refresh(): Promise<void> {
    const delays = this.options.retryDelaysMs ?? PEER_RETRY_DELAYS_MS;
    if (this.retryIndex > 0) {
      if (this.retryIndex > delays.length) return this.waitStalled();
      await this.sleep(delays[this.retryIndex - 1]!);
    }
    this.retryIndex++;
    await this.lookup();
  }

  /** Adds holders that appeared since (a swarm grows as others download); true if any. */
  async discover(): Promise<boolean> {
    let found: PeerAddress[];
    try {
      found = await this.options.findPeers(this.options.hash);
    } catch {
      return false;
    }
    const known = new Set(this.options.connected().flatMap((a) => [candidateKey(a), `${a.host}:${a.port}`]).concat(this.candidates.map(candidateKey)));
    const fresh = this.usable(found).filter((p) => !known.has(candidateKey(p)));
    this.candidates.push(...shuffle(fresh));
    return fresh.length > 0;
  }

  private async lookup(): Promise<void> {
    let found: PeerAddress[] = [];
    try {
      found = await this.options.findPeers(this.options.hash);
    } catch (err) {
      this.options.logger.debug(`${this.options.name}: peer lookup failed: ${errorMessage(err)}`);
    }
    const connected = new Set(this.options.connected().map(candidateKey));
    this.candidates = shuffle(this.usable(found).filter((p) => !connected.has(candidateKey(p))));
  }

  private usable(found: PeerAddress[]): PeerAddress[] {
    return found.filter((p) => p.peerId !== this.options.selfPeerId && !this.options.banned.has(p.peerId));
  }

  /**
   * Nobody reachable has it: wait as `stalled`, keeping every verified piece,
   * and ask again with backoff until a holder is listed again. Returns with
   * candidates. Fails with no_peers only after stallTimeoutMs.
   */
  private async waitStalled(): Promise<void> {
    const limit = this.options.stallTimeoutMs ?? Infinity;
    const poll = this.options.stallPollMs ?? { min: STALL_POLL_MIN_MS, max: STALL_POLL_MAX_MS };
    if (this.stalledSince === undefined) {
      this.stalledSince = Date.now();
      this.stallDelay = poll.min;
      this.options.onStalled();
      this.options.logger.info(`${this.options.name}: stalled, no reachable peer has it; waiting for one to come back`);
    }
    for (;;) {
      const left = limit - (Date.now() - this.stalledSince);
      if (left <= 0) throw new EngineError('no_peers', `no reachable peer has ${this.options.name} any more${keptNote(this.options.bytesDone())}`);
      await this.sleep(Math.min(this.stallDelay, left));
      this.stallDelay = Math.min(this.stallDelay * 2, poll.max);
      await this.lookup();
      if (this.candidates.length > 0) return;
    }
  }

  /** Waits `ms`, cut short (as `cancelled`) by a pause or cancel. */
  private async sleep(ms: number): Promise<void> {
    const signal = this.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
    if (signal.aborted) throw new EngineError('cancelled', `download ${String(signal.reason)}`);
  }
}

/** "; the 20.0 MiB verified so far are kept…", or nothing when nothing was verified. */
function keptNote(bytes: number): string {
  return bytes > 0 ? `; the ${formatBytes(bytes)} verified so far are kept for a later resume` : '';
}

/** Identifies a candidate: its peer id, or its address when the id is unknown (found on the DHT). */
function candidateKey(p: PeerAddress): string {
  return p.peerId || `${p.host}:${p.port}`;
}

/** Fisher–Yates, in place: peers are tried and pieces fetched in random order. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
