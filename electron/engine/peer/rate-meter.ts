/** Bytes per second over a sliding window of one-second buckets. */
const WINDOW_SECONDS = 5;

export class RateMeter {
  private readonly buckets = new Float64Array(WINDOW_SECONDS);
  private bucketSecond = 0;
  private startedAt = Date.now();

  add(bytes: number, now = Date.now()): void {
    this.roll(now);
    this.buckets[this.bucketSecond % WINDOW_SECONDS]! += bytes;
  }

  /** Average over the last full window (or since the first sample, if shorter). */
  rate(now = Date.now()): number {
    this.roll(now);
    let total = 0;
    for (const b of this.buckets) total += b;
    const elapsed = Math.min(WINDOW_SECONDS, Math.max(1, (now - this.startedAt) / 1000));
    return total / elapsed;
  }

  private roll(now: number): void {
    const second = Math.floor(now / 1000);
    if (this.bucketSecond === 0) {
      this.bucketSecond = second;
      this.startedAt = now;
      return;
    }
    const steps = Math.min(WINDOW_SECONDS, second - this.bucketSecond);
    for (let i = 1; i <= steps; i++) this.buckets[(this.bucketSecond + i) % WINDOW_SECONDS] = 0;
    if (second > this.bucketSecond) this.bucketSecond = second;
  }
}
