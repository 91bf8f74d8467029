import { EngineError } from '../engine/errors.js';
import type { Engine } from '../engine/engine.js';
import type { Download } from '../engine/peer/download.js';

/** Downloads transferring at once; the rest wait as `queued`. */
const MAX_ACTIVE_DOWNLOADS = 3;
/** How long a network restart waits for running downloads to return after the engine stopped. */
const IDLE_WAIT_MS = 2000;
const IDLE_POLL_MS = 20;

export interface DownloadQueueOptions {
  engine: () => Engine;
  finished: (download: Download, finalPath: string) => Promise<void>;
  /** Any end but cancellation, which the person asked for. */
  failed: (download: Download, err: unknown) => void;
  /** After every end, finished or not: the row's last state is worth sending. */
  settled: (download: Download) => void;
}

/**
 * The downloads the host runs, and the order the waiting ones start in. A
 * download is either waiting here, running, or neither (paused, done).
 */
export class DownloadQueue {
  private readonly running = new Set<string>();
  private readonly waiting: string[] = [];
  private stopped = false;

  constructor(private readonly options: DownloadQueueOptions) {}

  isRunning(hash: string): boolean {
    return this.running.has(hash);
  }

  enqueue(download: Download): void {
    if (this.running.has(download.hash) || this.waiting.includes(download.hash)) return;
    download.markQueued();
    this.waiting.push(download.hash);
    this.pump();
  }

  dequeue(hash: string): void {
    const at = this.waiting.indexOf(hash);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /** Forgets the waiting ones: a restarted engine has new downloads, restored from the saved list. */
  clear(): void {
    this.waiting.length = 0;
  }

  /** After the engine stopped: its downloads return soon, and a restart should not race them. */
  async waitIdle(): Promise<void> {
    for (let waited = 0; waited < IDLE_WAIT_MS && this.running.size > 0; waited += IDLE_POLL_MS) {
      await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
    }
  }

  /** Pausing keeps `paused: false` in the saved list, so unfinished downloads resume next start. */
  stop(): void {
    this.stopped = true;
    for (const hash of this.running) this.options.engine().getDownload(hash)?.pause();
  }

  /**
   * Starts queued downloads while fewer than MAX_ACTIVE_DOWNLOADS transfer. A
   * stalled one stays running (it resumes by itself when a holder is back, as
   * qBittorrent keeps stalled torrents active) but does not hold a slot, so
   * downloads that can make progress are not kept waiting behind it.
   */
  pump(): void {
    const engine = this.options.engine();
    const holdingSlot = () => [...this.running].filter((h) => engine.getDownload(h)?.state !== 'stalled').length;
    while (!this.stopped && holdingSlot() < MAX_ACTIVE_DOWNLOADS && this.waiting.length > 0) {
      const hash = this.waiting.shift()!;
      const download = engine.getDownload(hash);
      if (download) void this.runOne(download);
    }
  }

  private async runOne(download: Download): Promise<void> {
    this.running.add(download.hash);
    try {
      const finalPath = await this.options.engine().runDownload(download);
      await this.options.finished(download, finalPath);
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'cancelled')) this.options.failed(download, err);
    } finally {
      this.running.delete(download.hash);
      this.options.settled(download);
      this.pump();
    }
  }
}
