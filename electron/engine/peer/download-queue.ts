import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { canStartDownload } from '../../../shared/downloads.js';
import type { DownloadProgress, DownloadState } from '../../../shared/types.js';
import { EngineError, errorCode, errorMessage } from '../errors.js';
import type { Download } from './download.js';
import { DownloadList, type SavedDownload } from './download-list.js';
import { ProgressBatch } from './progress-batch.js';

/** Downloads transferring at once; the rest wait as `queued`. */
export const MAX_ACTIVE_DOWNLOADS = 3;
/** How long stop() waits for paused transfers to close their files. */
const STOP_WAIT_MS = 2000;
/**
 * A finished download's file is looked for this often (one stat each), and
 * whenever the shared file set changes: a file deleted from disk stops being
 * "Downloaded", so its listing row offers Download again.
 */
const FINISHED_CHECK_MS = 5000;

export interface DownloadItem {
  hash: string;
  name: string;
  size?: number;
}

export interface FinishedDownload {
  hash: string;
  name: string;
  path: string;
}

export interface FailedDownload {
  hash: string;
  name: string;
  error: { code: string; message: string };
}

export interface DownloadQueueEvents {
  /** Rows that changed since the last batch (at most one batch per PROGRESS_FLUSH_MS). */
  progress: [DownloadProgress[]];
  /** A download left the list: cancelled, removed, or finished and its file deleted. */
  removed: [string];
  finished: [FinishedDownload];
  /** Any end but cancel or pause, which the person asked for. */
  failed: [FailedDownload];
  warning: [string];
}

export interface DownloadQueueOptions {
  /** Builds a download wired to the engine's peers, transport and limits. */
  create(item: DownloadItem, destDir: string): Download;
  /** Where a download lands when the caller names no folder. */
  defaultDir(): string | undefined;
  /** True when this content is already in a shared folder. */
  hasContent(hash: string): boolean;
  /** Shares a finished file (so it is served and announced at once). */
  adopt(download: Download, finalPath: string): Promise<void>;
  /** Our announced file set changed (a download started or stopped serving pieces). */
  filesChanged(): void;
  /** The persisted list; absent keeps the list in memory (one-shot CLI runs). */
  listFile?: string | undefined;
  maxActive?: number;
}

interface Waiter {
  resolve(finalPath: string): void;
  reject(err: Error): void;
}

/**
 * The one owner of downloads: the list (in memory and on disk), the queue and
 * its concurrency, resume after a restart, and the progress events. Everything
 * is addressed by content hash; callers never hold a Download.
 */
export class DownloadQueue extends EventEmitter<DownloadQueueEvents> {
  private readonly downloads = new Map<string, Download>();
  private readonly saved: DownloadList;
  private readonly waiting: string[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly batch: ProgressBatch;
  private readonly maxActive: number;
  private checkTimer: NodeJS.Timeout | undefined;
  private checkingFinished: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DownloadQueueOptions) {
    super();
    this.saved = new DownloadList(options.listFile);
    this.batch = new ProgressBatch((rows) => this.emit('progress', rows));
    this.maxActive = options.maxActive ?? MAX_ACTIVE_DOWNLOADS;
  }

  /**
   * Reads the saved list and recreates every download in it: done, paused, or
   * back in the queue. `seed` fills a list that has no file yet (an older
   * version kept the list elsewhere).
   */
  async load(seed?: readonly SavedDownload[]): Promise<void> {
    const { warning } = await this.saved.load();
    if (warning) this.emit('warning', warning);
    if (seed?.length) await this.saved.adopt(seed);
    for (const saved of this.saved.all()) {
      let download: Download;
      try {
        download = this.register(saved, saved.destDir);
      } catch (err) {
        this.emit('warning', `Cannot restore download of ${saved.name}: ${errorMessage(err)}`);
        continue;
      }
      if (saved.done) download.markDone(path.join(saved.destDir, ...saved.name.split('/')));
      else if (saved.paused) download.pause();
      else this.enqueue(download);
    }
    this.batch.start();
    this.checkTimer = setInterval(() => void this.checkFinished(), FINISHED_CHECK_MS);
    this.checkTimer.unref();
    void this.checkFinished();
  }

  /**
   * Pauses every transfer and waits for them to close their files. The saved
   * list keeps them unpaused, so they resume at the next start.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    clearInterval(this.checkTimer);
    for (const hash of this.running.keys()) this.downloads.get(hash)?.pause();
    await settledWithin([...this.running.values()], STOP_WAIT_MS);
    await this.checkingFinished;
    this.batch.stop();
    await this.saved.flushed();
  }

  // ---- the API, by content hash ----

  /**
   * Adds a download and queues it. Content already in the list (queued,
   * running, paused, done) is not added twice: its row comes back instead.
   * Content already shared is refused, unless `evenIfShared` (the CLI's
   * `-get` fetches a listed name even when the same bytes sit elsewhere).
   */
  async start(item: DownloadItem, destDir?: string, { evenIfShared = false } = {}): Promise<DownloadProgress> {
    const { download, added } = await this.add(item, destDir, evenIfShared);
    if (added) this.enqueue(download);
    return download.progress();
  }

  /** Starts (or joins, or resumes) a download and resolves with its path when it is done: `-get`. */
  async fetch(item: DownloadItem, destDir?: string): Promise<string> {
    const { download } = await this.add(item, destDir, true);
    const done = this.settled(item.hash); // waiting before it runs: even a failure at once is seen
    if (download.state === 'paused') await this.saved.update(item.hash, { paused: false });
    if (download.state !== 'done') this.enqueue(download);
    return done;
  }

  private async add(item: DownloadItem, destDir: string | undefined, evenIfShared: boolean): Promise<{ download: Download; added: boolean }> {
    const existing = this.downloads.get(item.hash);
    if (existing && !canStartDownload(existing.state)) return { download: existing, added: false };
    if (!evenIfShared && this.options.hasContent(item.hash)) throw new EngineError('destination_exists', `You already have ${item.name}.`);
    const dest = this.destination(destDir);
    const download = this.register(item, dest);
    await this.saved.put({ hash: item.hash, name: item.name, size: item.size ?? 0, destDir: dest, paused: false, done: false });
    return { download, added: true };
  }

  async pause(hash: string): Promise<void> {
    const download = this.require(hash);
    this.dequeue(hash);
    download.pause();
    await this.saved.update(hash, { paused: true });
    this.batch.set(download.progress());
  }

  async resume(hash: string): Promise<void> {
    const download = this.require(hash);
    if (download.state === 'done') return;
    await this.saved.update(hash, { paused: false });
    this.enqueue(download);
  }

  /** A failed download starts again the way a paused one does, keeping its verified pieces. */
  retry(hash: string): Promise<void> {
    return this.resume(hash);
  }

  /**
   * Stops a download and forgets it. `deleteData: false` keeps its verified
   * pieces on disk, so downloading the same content again resumes from them.
   */
  async cancel(hash: string, { deleteData }: { deleteData: boolean }): Promise<void> {
    const download = this.require(hash);
    this.dequeue(hash);
    await download.cancel({ deleteData });
    await this.forget([hash]);
  }

  /** Takes a stopped download (paused, failed, done) off the list; its file stays. */
  async remove(hash: string): Promise<void> {
    const download = this.require(hash);
    const stopped = download.state === 'done' || download.state === 'failed' || download.state === 'paused';
    if (!stopped) throw new EngineError('invalid_state', `${download.name} is still downloading: pause or cancel it first.`);
    // A run that just stopped may still be writing its resume record: forgetting first would let it come back.
    await this.running.get(hash);
    await this.forget([hash]);
  }

  /** Every download's row, in the order they were added. */
  list(): DownloadProgress[] {
    return [...this.downloads.values()].map((d) => d.progress());
  }

  /** Where a finished download's file is. */
  finishedPath(hash: string): string {
    const download = this.require(hash);
    if (download.state !== 'done') throw new EngineError('invalid_state', `${download.name} is not finished yet.`);
    return download.finalPath;
  }

  /** Resolves with the file's path when the download finishes; rejects when it fails or is cancelled. */
  settled(hash: string): Promise<string> {
    const download = this.require(hash);
    if (download.state === 'done') return Promise.resolve(download.finalPath);
    return new Promise((resolve, reject) => {
      const waiting = this.waiters.get(hash) ?? [];
      waiting.push({ resolve, reject });
      this.waiters.set(hash, waiting);
    });
  }

  // ---- for the engine ----

  /** Every download the engine knows, for serving their verified pieces and summing rates. */
  all(): IterableIterator<Download> {
    return this.downloads.values();
  }

  get(hash: string): Download | undefined {
    return this.downloads.get(hash);
  }

  /**
   * Creates (or returns) the download of this content without queueing it:
   * for callers that run one Download themselves (tests, tools).
   */
  register(item: DownloadItem, destDir?: string): Download {
    const existing = this.downloads.get(item.hash);
    if (existing && !canStartDownload(existing.state)) return existing;
    const download = this.options.create(item, this.destination(destDir));
    let lastState: DownloadState = download.state;
    download.on('progress', (row) => {
      this.batch.set(row);
      if (row.state === lastState) return;
      lastState = row.state;
      // A paused, failed or finished download stops serving its pieces: the trackers hear of it.
      if (row.state === 'paused' || row.state === 'failed' || row.state === 'cancelled' || row.state === 'done') this.options.filesChanged();
      if (row.state === 'stalled') this.pump(); // its slot goes to a queued download meanwhile
    });
    download.on('shareable', () => this.options.filesChanged());
    download.on('warning', (m) => this.emit('warning', m));
    this.downloads.delete(item.hash); // a new start goes to the end of the list, as it does on disk
    this.downloads.set(item.hash, download);
    this.batch.forget(item.hash);
    return download;
  }

  /** Runs a download now, outside the queue's slots; resolves with the final path. */
  async run(download: Download): Promise<string> {
    const finalPath = await download.run();
    if (download.info) await this.options.adopt(download, finalPath);
    return finalPath;
  }

  /**
   * Drops every finished download whose file is gone from disk. Calls during
   * a check share it.
   */
  checkFinished(): Promise<void> {
    if (this.checkingFinished) return this.checkingFinished;
    const check = (async () => {
      await Promise.resolve(); // `checkingFinished` is set before the body (and its finally) runs
      try {
        const missing = await this.missingFinished();
        if (missing.length > 0 && !this.stopped) await this.forget(missing);
      } finally {
        this.checkingFinished = undefined;
      }
    })();
    this.checkingFinished = check;
    return check;
  }

  // ---- inside ----

  private destination(destDir: string | undefined): string {
    const dest = destDir ?? this.options.defaultDir();
    if (!dest) throw new EngineError('invalid_state', 'There is no download folder: share a folder or choose one.', { field: 'downloadDir' });
    return dest;
  }

  private require(hash: string): Download {
    const download = this.downloads.get(hash);
    if (!download) throw new EngineError('not_found', 'No such download.');
    return download;
  }

  private enqueue(download: Download): void {
    if (this.running.has(download.hash) || this.waiting.includes(download.hash)) return;
    download.markQueued();
    this.waiting.push(download.hash);
    this.pump();
  }

  private dequeue(hash: string): void {
    const at = this.waiting.indexOf(hash);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /**
   * Starts queued downloads while fewer than maxActive transfer. A stalled one
   * stays running (it resumes by itself when a holder is back, as qBittorrent
   * keeps stalled torrents active) but does not hold a slot, so downloads that
   * can make progress are not kept waiting behind it.
   */
  private pump(): void {
    const holdingSlot = () => [...this.running.keys()].filter((h) => this.downloads.get(h)?.state !== 'stalled').length;
    while (!this.stopped && holdingSlot() < this.maxActive && this.waiting.length > 0) {
      const download = this.downloads.get(this.waiting.shift()!);
      if (download) this.running.set(download.hash, this.runQueued(download));
    }
  }

  private async runQueued(download: Download): Promise<void> {
    const { hash, name } = download;
    try {
      const finalPath = await this.run(download);
      await this.saved.update(hash, { done: true });
      this.settle(hash, (w) => w.resolve(finalPath));
      this.emit('finished', { hash, name, path: finalPath });
    } catch (err) {
      const failure = err instanceof Error ? err : new Error(String(err));
      const asked = err instanceof EngineError && err.code === 'cancelled';
      // A pause leaves the download in the list, to resume: only its end (cancel, failure) settles waiters.
      if (!asked || download.state === 'cancelled') this.settle(hash, (w) => w.reject(failure));
      if (!asked) this.emit('failed', { hash, name, error: { code: errorCode(err) ?? 'io_error', message: errorMessage(err) } });
    } finally {
      this.running.delete(hash);
      this.batch.set(download.progress());
      this.pump();
    }
  }

  private settle(hash: string, how: (w: Waiter) => void): void {
    const waiting = this.waiters.get(hash);
    this.waiters.delete(hash);
    for (const w of waiting ?? []) how(w);
  }

  private async forget(hashes: readonly string[]): Promise<void> {
    for (const hash of hashes) {
      const download = this.downloads.get(hash);
      this.downloads.delete(hash);
      this.batch.forget(hash);
      this.settle(hash, (w) => w.reject(new EngineError('cancelled', `download of ${download?.name ?? hash} cancelled`)));
    }
    await this.saved.remove(hashes);
    for (const hash of hashes) this.emit('removed', hash);
  }

  private async missingFinished(): Promise<string[]> {
    const missing: string[] = [];
    for (const download of [...this.downloads.values()]) {
      if (download.state !== 'done') continue;
      const gone = await stat(download.finalPath).then(
        (st) => !st.isFile(),
        (err: unknown) => errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR',
      );
      if (gone) missing.push(download.hash);
    }
    return missing;
  }
}

/** Waits for every promise to settle, or for `ms`, whichever comes first. */
async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(promises), deadline]);
  clearTimeout(timer);
}
