/**
 * A token bucket shared by every transfer in one direction. `take` waits until
 * the bytes fit under the limit; a limit of 0 means unlimited. The burst is
 * one second's worth (at least one piece) so a single piece never waits forever.
 */
import { PIECE_SIZE } from '../../../shared/protocol/limits.js';

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

  private get burst(): number {
    return Math.max(this.bytesPerSecond, PIECE_SIZE);
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
      if (this.tokens >= Math.min(bytes, this.burst)) {
        this.tokens -= bytes;
        return;
      }
      const missing = Math.min(bytes, this.burst) - this.tokens;
      await new Promise((resolve) => setTimeout(resolve, Math.max(5, Math.ceil((missing / this.bytesPerSecond) * 1000))).unref());
    }
  }

  private refill(): void {
    const now = Date.now();
    if (this.bytesPerSecond > 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
  }
}
