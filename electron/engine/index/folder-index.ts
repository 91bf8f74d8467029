import { EventEmitter } from 'node:events';
import { constants, type Stats } from 'node:fs';
import { access, lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { MAX_FILE_SIZE } from '../../../shared/protocol/limits.js';
import { unsafePathReason } from '../../../shared/protocol/path.js';
import type { FileAnnouncement } from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage, folderProblem } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ContentInfo } from '../core/content-hash.js';
import { hashFile } from './file-hash.js';
import { HashCache } from './hash-cache.js';
import { isIgnored, type IgnoreOptions } from './ignore-rules.js';

/** Wait this long after the last event on a path before hashing it, so a file being written is hashed once. */
const SETTLE_MS = 250;
/** Files hashed at once: overlaps one file's disk reads with another's hashing (most folders are many small files). */
const INDEX_CONCURRENCY = 4;
/** A remove followed by an add with the same size and mtime within this window is a rename: reuse the hash. */
const RENAME_WINDOW_MS = 5000;

export interface IndexedFile {
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
  info: ContentInfo;
}

export interface FolderStats {
  files: number;
  bytes: number;
  /** Files waiting to be hashed, and bytes hashed so far of the one in progress. */
  hashingQueued: number;
  ready: boolean;
}

export interface FolderIndexOptions extends IgnoreOptions {
  root: string;
  cacheFile: string;
  logger?: Logger;
  /** Test hook: poll instead of inotify. */
  usePolling?: boolean;
}

export interface FolderIndexEvents {
  /** The set of shared files changed. */
  change: [];
  /** Hashing started or finished: stats() changed without the file set changing. */
  status: [];
  warning: [string];
  ready: [];
}

/**
 * Everything shared from one folder: scans it, hashes what the cache doesn't
 * know, and keeps the set current as files come and go. Symlinks are not
 * followed: a link can't pull a file from outside the folder into the share.
 */
export class FolderIndex extends EventEmitter<FolderIndexEvents> {
  readonly root: string;
  private realRoot = '';
  private readonly files = new Map<string, IndexedFile>();
  private readonly byHash = new Map<string, Set<string>>();
  private readonly cache: HashCache;
  private readonly logger: Logger;
  private watcher: FSWatcher | undefined;
  private readonly queue = new Map<string, NodeJS.Timeout | null>();
  /** The watcher's lstat of a queued path, used once instead of a fresh lstat (a change event replaces it). */
  private readonly seenStats = new Map<string, Stats>();
  /** Paths being hashed now. */
  private readonly working = new Set<string>();
  /** Queued paths whose settle delay is over, in arrival order (a subset of `queue`). */
  private readonly readyToHash = new Set<string>();
  private ready = false;
  private stopped = false;
  private readonly recentlyRemoved = new Map<string, { info: ContentInfo; at: number }>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: FolderIndexOptions) {
    super();
    this.root = path.resolve(options.root);
    this.cache = new HashCache(options.cacheFile);
    this.logger = options.logger ?? silentLogger;
  }

  get cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache.hits, misses: this.cache.misses };
  }

  /** Scans and hashes the folder; resolves when every file is indexed and the watcher is live. */
  async start(): Promise<void> {
    try {
      const info = await stat(this.root);
      if (!info.isDirectory()) throw new Error('that is not a folder');
      await access(this.root, constants.R_OK | constants.X_OK);
      this.realRoot = await realpath(this.root);
    } catch (err) {
      throw new EngineError('folder_unreadable', `cannot share ${this.root}: ${folderProblem(err)}`, { cause: err });
    }
    await this.cache.load();
    const watcher = watch(this.root, {
      persistent: true,
      followSymlinks: false,
      ignoreInitial: false,
      alwaysStat: true, // the walk's own lstat (followSymlinks: false) is reused instead of a second one per file
      // Chokidar would drop a file whose owner-read bit is off, silently (even where we could read it): we open
      // every file ourselves and say why one can't be shared. Unreadable folders are checked on addDir.
      ignorePermissionErrors: true,
      usePolling: this.options.usePolling ?? false,
      interval: 100,
      ignored: (abs: string) => {
        const rel = this.relative(abs);
        return rel !== '' && rel !== null && isIgnored(rel, this.options);
      },
    });
    this.watcher = watcher;
    watcher.on('add', (abs, stats) => this.enqueue(abs, this.ready, stats));
    watcher.on('change', (abs) => this.enqueue(abs, true)); // chokidar's change stats may follow links: lstat afresh
    watcher.on('unlink', (abs) => this.remove(abs));
    watcher.on('unlinkDir', (abs) => this.removeTree(abs));
    watcher.on('addDir', (abs) => void this.checkFolderReadable(abs));
    watcher.on('error', (err) => this.warn(`watching ${this.root}: ${errorMessage(err)}`));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    await this.idle();
    this.ready = true;
    await this.cache.flush();
    this.emit('ready');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.queue.values()) if (timer) clearTimeout(timer);
    this.queue.clear();
    this.readyToHash.clear();
    this.seenStats.clear();
    await this.watcher?.close();
    await this.cache.flush();
  }

  list(): IndexedFile[] {
    return [...this.files.values()];
  }

  announcements(): FileAnnouncement[] {
    return this.list().map((f) => ({ path: f.path, size: f.size, hash: f.info.hash }));
  }

  get(relPath: string): IndexedFile | undefined {
    return this.files.get(relPath);
  }

  /** A file of ours with this content, if any. */
  findByHash(hash: string): IndexedFile | undefined {
    const paths = this.byHash.get(hash);
    if (!paths) return undefined;
    for (const rel of paths) {
      const file = this.files.get(rel);
      if (file) return file;
    }
    return undefined;
  }

  stats(): FolderStats {
    let bytes = 0;
    for (const f of this.files.values()) bytes += f.size;
    return { files: this.files.size, bytes, hashingQueued: this.queue.size + this.working.size, ready: this.ready };
  }

  /**
   * Records a file we just wrote and verified ourselves (a finished download),
   * so the watcher's add event finds it in the cache instead of hashing it again.
   */
  async adopt(absPath: string, info: ContentInfo): Promise<void> {
    const rel = this.relative(absPath);
    if (!rel) return;
    const st = await stat(absPath);
    this.cache.set(rel, st.mtimeMs, info);
    this.setFile({ path: rel, absPath, size: st.size, mtimeMs: st.mtimeMs, info });
  }

  /** Resolves when nothing is waiting to be hashed. */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.working.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Checks that `absPath` still resolves inside the shared folder (it may have been swapped for a link). */
  async isInside(absPath: string): Promise<boolean> {
    try {
      const real = await realpath(absPath);
      return real.startsWith(this.realRoot + path.sep);
    } catch {
      return false;
    }
  }

  private relative(abs: string): string | null {
    const rel = path.relative(this.root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    return rel.split(path.sep).join('/');
  }

  private enqueue(abs: string, settle: boolean, stats?: Stats): void {
    const rel = this.relative(abs);
    if (!rel || this.stopped) return;
    if (stats) this.seenStats.set(rel, stats);
    else this.seenStats.delete(rel);
    const existing = this.queue.get(rel);
    if (existing) clearTimeout(existing);
    if (this.queue.size === 0 && this.working.size === 0) this.emit('status');
    this.readyToHash.delete(rel);
    if (!settle) {
      this.queue.set(rel, null);
      this.readyToHash.add(rel);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.queue.set(rel, null);
      this.readyToHash.add(rel);
      this.pump();
    }, SETTLE_MS);
    this.queue.set(rel, timer);
  }

  /** Starts indexing ready files, INDEX_CONCURRENCY at a time, one job per path at a time. */
  private pump(): void {
    if (this.stopped) return;
    for (const rel of this.readyToHash) {
      if (this.working.size >= INDEX_CONCURRENCY) return;
      if (this.working.has(rel)) continue; // changed while being hashed: runs again when that job ends
      this.readyToHash.delete(rel);
      this.queue.delete(rel);
      this.working.add(rel);
      this.indexFile(rel)
        .catch((err: unknown) => this.warn(`cannot index ${rel}: ${errorMessage(err)}`))
        .finally(() => {
          this.working.delete(rel);
          this.pump();
        });
    }
    if (this.queue.size === 0 && this.working.size === 0) this.notifyIdle();
  }

  private notifyIdle(): void {
    this.emit('status');
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async indexFile(rel: string): Promise<void> {
    const abs = path.join(this.root, ...rel.split('/'));
    const unsafe = unsafePathReason(rel);
    if (unsafe) {
      this.warn(`not sharing "${rel}": its name can't be shared safely (${unsafe})`);
      return;
    }
    let before = this.seenStats.get(rel);
    this.seenStats.delete(rel);
    try {
      before ??= await lstat(abs);
    } catch {
      this.removeRel(rel);
      return;
    }
    if (!before.isFile()) {
      if (before.isSymbolicLink()) this.logger.debug(`not sharing symlink ${rel}`);
      this.removeRel(rel);
      return;
    }
    if (before.size > MAX_FILE_SIZE) {
      this.warn(`not sharing "${rel}": larger than the protocol's ${MAX_FILE_SIZE}-byte limit`);
      this.removeRel(rel);
      return;
    }
    // A file this user may not read is not shared, and the person is told (also when it is in the hash cache).
    const denied = await access(abs, constants.R_OK).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => err.code ?? 'error',
    );
    if (denied) {
      this.warn(`not sharing "${rel}": this user may not read it (${denied === 'EACCES' || denied === 'EPERM' ? `${denied}: permission denied` : denied})`);
      this.removeRel(rel);
      return;
    }
    let info = this.cache.get(rel, before.size, before.mtimeMs) ?? this.takeRenamed(before.size, before.mtimeMs);
    if (!info) {
      info = await hashFile(abs);
      const after = await lstat(abs);
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
        // Still being written: hash again once it settles.
        this.enqueue(abs, true);
        return;
      }
    }
    if (this.stopped) return;
    this.cache.set(rel, before.mtimeMs, info);
    this.setFile({ path: rel, absPath: abs, size: before.size, mtimeMs: before.mtimeMs, info });
  }

  private async checkFolderReadable(abs: string): Promise<void> {
    const rel = this.relative(abs);
    if (!rel) return;
    try {
      await access(abs, constants.R_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.warn(`not sharing the folder "${rel}": this user may not open it (${code}: ${code === 'EACCES' ? 'permission denied' : errorMessage(err)})`);
    }
  }

  private takeRenamed(size: number, mtimeMs: number): ContentInfo | undefined {
    const key = `${size}:${mtimeMs}`;
    const hit = this.recentlyRemoved.get(key);
    if (!hit) return undefined;
    this.recentlyRemoved.delete(key);
    return Date.now() - hit.at < RENAME_WINDOW_MS ? hit.info : undefined;
  }

  private setFile(file: IndexedFile): void {
    const previous = this.files.get(file.path);
    if (previous && previous.info.hash === file.info.hash && previous.size === file.size && previous.mtimeMs === file.mtimeMs) return;
    if (previous) this.unlinkHash(previous);
    this.files.set(file.path, file);
    let paths = this.byHash.get(file.info.hash);
    if (!paths) this.byHash.set(file.info.hash, (paths = new Set()));
    paths.add(file.path);
    this.emit('change');
  }

  private remove(abs: string): void {
    const rel = this.relative(abs);
    if (rel) this.removeRel(rel);
  }

  private removeTree(abs: string): void {
    const rel = this.relative(abs);
    if (!rel) return;
    for (const key of [...this.files.keys()]) if (key.startsWith(`${rel}/`)) this.removeRel(key);
  }

  private removeRel(rel: string): void {
    const file = this.files.get(rel);
    const pending = this.queue.get(rel);
    if (pending) clearTimeout(pending);
    this.queue.delete(rel);
    this.readyToHash.delete(rel);
    this.seenStats.delete(rel);
    if (!file) return;
    this.files.delete(rel);
    this.unlinkHash(file);
    this.cache.delete(rel);
    this.recentlyRemoved.set(`${file.size}:${file.mtimeMs}`, { info: file.info, at: Date.now() });
    if (this.recentlyRemoved.size > 1000) this.recentlyRemoved.delete(this.recentlyRemoved.keys().next().value!);
    this.emit('change');
  }

  private unlinkHash(file: IndexedFile): void {
    const paths = this.byHash.get(file.info.hash);
    paths?.delete(file.path);
    if (paths?.size === 0) this.byHash.delete(file.info.hash);
  }

  private warn(message: string): void {
    this.logger.warn(message);
    this.emit('warning', message);
  }
}
