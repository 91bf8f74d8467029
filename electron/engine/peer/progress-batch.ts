import type { DownloadProgress } from '../../../shared/types.js';

/** Progress leaves the engine at most this often, and only rows that changed (≤ 10 batches/s). */
export const PROGRESS_FLUSH_MS = 100;

/**
 * The one throttle on download progress: a download reports every change (a
 * piece, a peer, a state), far more often than a person can read; this sends
 * each changed row once per flush, and nothing for rows that look the same.
 */
export class ProgressBatch {
  private readonly pending = new Map<string, DownloadProgress>();
  private readonly lastSent = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly push: (changed: DownloadProgress[]) => void) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), PROGRESS_FLUSH_MS);
    this.timer.unref();
  }

  stop(): void {
    this.flush();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The row to send at the next flush; a later one for the same hash replaces it. */
  set(row: DownloadProgress): void {
    this.pending.set(row.hash, row);
  }

  /** A download left the list: nothing more is sent for it, and a new one starts fresh. */
  forget(hash: string): void {
    this.lastSent.delete(hash);
    this.pending.delete(hash);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const changed: DownloadProgress[] = [];
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
