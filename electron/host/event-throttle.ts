import type { DownloadRow } from '../../shared/ipc/contract.js';

/** Progress is pushed at most this often, and only rows that changed (≤ 10 events/s). */
const PROGRESS_FLUSH_MS = 100;

/**
 * Collects download progress between flushes and pushes only the rows that
 * differ from what the UI was last sent: the engine reports far more often
 * than a person can read, and mostly unchanged rows.
 */
export class ProgressBatcher {
  private readonly pending = new Map<string, DownloadRow>();
  private readonly lastSent = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly push: (changed: DownloadRow[]) => void) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), PROGRESS_FLUSH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The row to send at the next flush; a later one for the same hash replaces it. */
  set(row: DownloadRow): void {
    this.pending.set(row.hash, row);
  }

  /** A download left the list: nothing more is sent for it, and a new one starts fresh. */
  forget(hash: string): void {
    this.lastSent.delete(hash);
    this.pending.delete(hash);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const changed: DownloadRow[] = [];
    for (const [hash, row] of this.pending) {
      const key = JSON.stringify(row);
      if (this.lastSent.get(hash) !== key) {
        this.lastSent.set(hash, key);
        changed.push(row);
      }
    }
    this.pending.clear();
    if (changed.length) this.push(changed);
  }
}

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
