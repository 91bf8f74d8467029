/** Exponential backoff with equal jitter (half fixed, half random): a restarted tracker is not hit by every peer at once. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 500,
    // Capped low enough that a restarted tracker is refilled within seconds; the jitter spreads the herd.
    private readonly maxMs = 8_000,
  ) {}

  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
