/**
 * A token bucket shared by every transfer in one direction. `take` waits until
 * the bytes fit under the limit; a limit of 0 means unlimited.
 *
 * The bucket holds a quarter second's worth at most, so a cap is a cap over any
 * second (a full second of burst let 8 MiB through in the first second under a
 * 4 MiB/s cap). A request bigger than the bucket (a 1 MiB piece under a slow
 * cap) goes once the bucket is full and leaves it in debt, so pieces are
 * spaced at the cap's pace instead of waiting forever.
 */

/** How much of a second's allowance may go at once. */
export const BURST_SECONDS = 0.25;
/** Floor of the bucket, so tiny limits don't turn every small message into a wait. */
const MIN_BURST_BYTES = 16 * 1024;
/** Shortest sleep between checks. */
const MIN_WAIT_MS = 5;

export class RateLimiter {
  private tokens = 0;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(private bytesPerSecond = 0) {
    this.tokens = this.burst;
  }

  get limit(): number {
    return this.bytesPerSecond;
  }

  setLimit(bytesPerSecond: number): void {
    this.refill();
    this.bytesPerSecond = Math.max(0, bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.burst);
  }

  /** Bytes that may go at once after an idle spell. */
  get burst(): number {
    return Math.max(MIN_BURST_BYTES, Math.round(this.bytesPerSecond * BURST_SECONDS));
  }

  /** Resolves once `bytes` may be sent. Callers are served in order. */
  take(bytes: number): Promise<void> {
    if (this.bytesPerSecond === 0) return Promise.resolve();
    const turn = this.queue.then(() => this.wait(bytes));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async wait(bytes: number): Promise<void> {
    for (;;) {
      if (this.bytesPerSecond === 0) return;
      this.refill();
      const needed = Math.min(bytes, this.burst);
      if (this.tokens >= needed) {
        this.tokens -= bytes;
        return;
      }
      const missing = needed - this.tokens;
      await new Promise((resolve) => setTimeout(resolve, Math.max(MIN_WAIT_MS, Math.ceil((missing / this.bytesPerSecond) * 1000))).unref());
    }
  }

  private refill(): void {
    const now = Date.now();
    if (this.bytesPerSecond > 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
  }
}
