import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DownloadRow } from '../../shared/ipc/contract.js';
import type { Engine } from '../engine/engine.js';
import { EngineError, errorCode, errorMessage } from '../engine/errors.js';
import type { Download } from '../engine/peer/download.js';
import type { DownloadQueue } from './download-queue.js';
import type { ProgressBatcher } from './event-throttle.js';
import type { HostEvents } from './host-events.js';
import type { SettingsStore } from './settings-store.js';

/**
 * A finished download's file is looked for this often (one stat each), and at
 * once when a shared folder's file set changes or the listing is fetched: a
 * file deleted from disk stops being "Downloaded".
 */
const FINISHED_CHECK_MS = 5000;

export interface SavedDownloadsOptions {
  engine: () => Engine;
  store: SettingsStore;
  queue: DownloadQueue;
  progress: ProgressBatcher;
  events: HostEvents;
}

/**
 * The download list kept in settings.json, matched with the engine's live
 * downloads: restored at each engine start, updated as downloads change, and
 * pruned of finished downloads whose file is gone.
 */
export class SavedDownloads {
  private checkingFinished: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: SavedDownloadsOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.dropMissingFinished(), FINISHED_CHECK_MS);
    this.timer.unref();
    void this.dropMissingFinished();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The rows the UI lists, in the saved order. */
  rows(): DownloadRow[] {
    const engine = this.options.engine();
    return this.options.store.state.downloads.flatMap((d) => {
      const live = engine.getDownload(d.hash);
      return live ? [live.progress()] : [];
    });
  }

  /** Recreates every saved download in the (new) engine: done, paused, or back in the queue. */
  restore(): void {
    const engine = this.options.engine();
    for (const saved of this.options.store.state.downloads) {
      let download: Download;
      try {
        download = engine.download({ hash: saved.hash, name: saved.name, size: saved.size }, saved.destDir);
      } catch (err) {
        this.options.events.notice('warning', `Cannot restore download of ${saved.name}: ${errorMessage(err)}`);
        continue;
      }
      if (saved.done) download.markDone(path.join(saved.destDir, ...saved.name.split('/')));
      else if (saved.paused) download.pause();
      else this.options.queue.enqueue(download);
    }
  }

  /** Saves a new download (replacing an earlier failed or cancelled one of the same content). */
  async add(item: { hash: string; name: string; size: number }, destDir: string): Promise<void> {
    await this.options.store.update((s) => {
      s.downloads = s.downloads.filter((d) => d.hash !== item.hash);
      s.downloads.push({ hash: item.hash, name: item.name, size: item.size, destDir, paused: false, done: false });
    });
  }

  async setPaused(hash: string, paused: boolean): Promise<void> {
    await this.options.store.update((s) => {
      const saved = s.downloads.find((d) => d.hash === hash);
      if (saved) saved.paused = paused;
    });
  }

  async markDone(hash: string): Promise<void> {
    await this.options.store.update((s) => {
      const saved = s.downloads.find((d) => d.hash === hash);
      if (saved) saved.done = true;
    });
  }

  /** Takes the download out of the engine and the UI, then out of the saved list. */
  async remove(hash: string): Promise<void> {
    this.forget(hash);
    await this.options.store.update((s) => void (s.downloads = s.downloads.filter((x) => x.hash !== hash)));
  }

  require(hash: string): Download {
    const d = this.options.engine().getDownload(hash);
    if (!d) throw new EngineError('not_found', 'No such download.');
    return d;
  }

  finishedPath(hash: string): string {
    const d = this.require(hash);
    if (d.state !== 'done') throw new EngineError('not_found', `${d.name} is not finished yet.`);
    return d.finalPath;
  }

  /**
   * Drops the record of every finished download whose file is gone from disk,
   * so its Network row offers Download again instead of saying "Downloaded".
   * Calls during a check share it.
   */
  dropMissingFinished(): Promise<void> {
    if (this.checkingFinished) return this.checkingFinished;
    const check = (async () => {
      await Promise.resolve(); // `checkingFinished` is set before the body (and its finally) runs
      try {
        const missing = await this.missingFinished();
        if (missing.length === 0 || this.stopped) return;
        for (const hash of missing) this.forget(hash);
        await this.options.store.update((s) => void (s.downloads = s.downloads.filter((d) => !missing.includes(d.hash))));
        this.options.events.networkChanged();
      } finally {
        this.checkingFinished = undefined;
      }
    })();
    this.checkingFinished = check;
    return check;
  }

  private async missingFinished(): Promise<string[]> {
    const missing: string[] = [];
    for (const saved of this.options.store.state.downloads) {
      const live = this.options.engine().getDownload(saved.hash);
      if (!saved.done || !live || live.state !== 'done') continue;
      const gone = await stat(live.finalPath).then(
        (st) => !st.isFile(),
        (err: unknown) => errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR',
      );
      if (gone) missing.push(saved.hash);
    }
    return missing;
  }

  private forget(hash: string): void {
    this.options.engine().forgetDownload(hash);
    this.options.progress.forget(hash);
    this.options.events.emit('downloads:progress', []);
  }
}
