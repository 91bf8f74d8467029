import type { DownloadProgress } from '../../shared/types.js';
import { formatBytes, formatDuration, formatRate, plural } from './format.js';

const PLAIN_INTERVAL_MS = 1000;

/**
 * Download progress for a person: a redrawn bar on a terminal, and plain
 * lines (about once a second, and at every change of state) when output goes to a file or a pipe.
 */
export class ProgressBar {
  private lastPlainAt = 0;
  private lastState = '';
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: DownloadProgress): void {
    const pct = p.size > 0 ? Math.floor((p.bytesDone / p.size) * 100) : p.state === 'done' ? 100 : 0;
    const stats = `${String(pct).padStart(3)}%  ${formatBytes(p.bytesDone)} / ${formatBytes(p.size)}  ${formatRate(p.downloadRate)}  ETA ${formatDuration(p.etaSeconds)}  ${plural(p.peers, 'peer')}  ${p.state}`;
    if (this.stream.isTTY) {
      const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - stats.length - 4));
      const filled = Math.round((pct / 100) * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stats}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlainAt >= PLAIN_INTERVAL_MS || p.state !== 'downloading' || p.state !== this.lastState) {
      this.lastPlainAt = now;
      this.lastState = p.state;
      this.stream.write(`progress ${p.name}: ${stats}\n`);
    }
  }

  /** Ends the redrawn line so later output starts clean. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
