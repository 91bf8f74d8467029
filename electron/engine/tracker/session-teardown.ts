/**
 * Files freed per event-loop turn when a session leaves. Freeing one costs a
 * few microseconds, so a chunk takes a few milliseconds, and a session at the
 * per-peer cap is gone within a second without holding up other requests.
 */
export const TEARDOWN_CHUNK = 2048;

interface Leaving {
  slot: number;
  rows: Int32Array;
  next: number;
}

/**
 * Frees the files of sessions that ended, a chunk per event-loop turn. The
 * state has already detached such a session (it is out of the peer indexes
 * and the peer count, and lookups skip its slot); this only gives its memory
 * back, and the slot once that is done.
 */
export class SessionTeardown {
  /** Slots whose files are still being freed: lookups leave them out. */
  readonly leaving = new Set<number>();
  private readonly queue: Leaving[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly removeRow: (slot: number, row: number) => void,
    private readonly finish: (slot: number) => void,
  ) {}

  start(slot: number, rows: Int32Array): void {
    this.leaving.add(slot);
    this.queue.push({ slot, rows, next: 0 });
    this.schedule();
  }

  /** Frees everything queued, now (tests, and a state being dropped). */
  flush(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.step(Infinity);
  }

  /** Stops freeing (the state is being discarded). */
  stop(): void {
    clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.step(TEARDOWN_CHUNK);
      this.schedule();
    });
    this.scheduled.unref();
  }

  private step(budget: number): void {
    while (budget > 0 && this.queue.length > 0) {
      const job = this.queue[0]!;
      const end = Math.min(job.rows.length, job.next + budget);
      for (let i = job.next; i < end; i++) this.removeRow(job.slot, job.rows[i]!);
      budget -= end - job.next;
      job.next = end;
      if (job.next < job.rows.length) continue;
      this.queue.shift();
      this.leaving.delete(job.slot);
      this.finish(job.slot);
    }
  }
}
