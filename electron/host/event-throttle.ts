/**
 * Runs `fire` once, `waitMs` after the first of a burst of `schedule()` calls:
 * a folder scan reports every file, the UI needs to hear about it once.
 */
export class TrailingThrottle {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly waitMs: number,
    private readonly fire: () => void,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, this.waitMs);
    this.timer.unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
