/**
 * Bytes per second from the arrivals themselves. Data comes in whole pieces
 * (1 MiB at a time), so a window with fixed edges counts one piece too many or
 * too few depending on where its edge falls: under a 4 MiB/s cap that read as
 * 8 MiB/s in the first second. Here the rate is the bytes that arrived after
 * a sample, over the time since it: N arrivals span N-1 gaps, so paced
 * arrivals read exactly at their pace and never above it.
 */

/** Samples younger than this count. */
export const WINDOW_MS = 3000;
/** The newest two samples count up to this age, so a slow stream (a piece every few seconds) still has a rate. */
const MAX_GAP_MS = 15_000;
/** The rate is not trusted (ETA "estimating…") until the samples span this long. */
export const SETTLED_SPAN_MS = 2000;
/** Floor of the span: two pieces a moment apart (a burst) are not a rate of gigabytes per second. */
const MIN_SPAN_MS = 1000;
/** Bounds memory at very high rates: the window then covers the newest this-many pieces. */
const MAX_SAMPLES = 2048;

export class RateMeter {
  private readonly times: number[] = [];
  private readonly sizes: number[] = [];

  add(bytes: number, now = Date.now()): void {
    if (bytes <= 0) return;
    this.times.push(now);
    this.sizes.push(bytes);
    if (this.times.length > MAX_SAMPLES) this.drop(this.times.length - MAX_SAMPLES);
  }

  /** Forgets every sample: a paused or restarted transfer starts a fresh window. */
  reset(): void {
    this.times.length = 0;
    this.sizes.length = 0;
  }

  rate(now = Date.now()): number {
    this.prune(now);
    const n = this.times.length;
    if (n < 2) return 0;
    const newest = this.times[n - 1]!;
    // Each sample is a possible start of the span; the lowest reading over a span of at
    // least MIN_SPAN_MS wins, so a burst at the start (a full token bucket) is not read as pace.
    let bytes = 0;
    let best = Infinity;
    for (let k = n - 2; k >= 0; k--) {
      bytes += this.sizes[k + 1]!;
      const from = this.times[k]!;
      if (newest - from < MIN_SPAN_MS && k > 0) continue;
      const after = n - 1 - k;
      // Exact while arrivals keep their pace; once they stop, the time since the
      // start grows and the rate falls off instead of freezing.
      const span = Math.max(newest - from, ((now - from) * after) / (after + 1), MIN_SPAN_MS);
      best = Math.min(best, bytes / span);
    }
    return best * 1000;
  }

  /** Whether the samples span enough time for the rate to mean something (ETA). */
  settled(now = Date.now()): boolean {
    this.prune(now);
    return this.times.length >= 2 && this.times[this.times.length - 1]! - this.times[0]! >= SETTLED_SPAN_MS;
  }

  private prune(now: number): void {
    let stale = 0;
    const keepNewest = this.times.length >= 2 && now - this.times[this.times.length - 2]! <= MAX_GAP_MS ? 2 : 0;
    while (stale < this.times.length - keepNewest && now - this.times[stale]! > WINDOW_MS) stale++;
    if (keepNewest === 0) while (stale < this.times.length && now - this.times[stale]! > WINDOW_MS) stale++;
    if (stale > 0) this.drop(stale);
  }

  private drop(count: number): void {
    this.times.splice(0, count);
    this.sizes.splice(0, count);
  }
}
