import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FileAnnouncement } from '../../../shared/protocol/messages.js';
import type { SharedFolderStatus } from '../../../shared/types.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ContentInfo } from '../core/content-hash.js';
import { FolderIndex } from './folder-index.js';

/** Hex digits of the folder path's hash that name its hash-cache file. */
const CACHE_NAME_HEX = 16;

export interface SharedFoldersOptions {
  /** Hash caches live under `<dataDir>/hash-cache`, one file per folder. */
  dataDir: string;
  logger: Logger;
  includeHidden: boolean;
  usePolling: boolean;
  /** A folder's file set changed, or a folder came or went. */
  onChange: () => void;
  /** A folder's figures changed (hashing progress) without the file set changing. */
  onStatus: () => void;
  onWarning: (message: string) => void;
}

/** The folders we share, one watched and hashed index each, keyed by absolute path. */
export class SharedFolders {
  private readonly indexes = new Map<string, FolderIndex>();

  constructor(private readonly options: SharedFoldersOptions) {}

  async add(folder: string): Promise<SharedFolderStatus> {
    const root = path.resolve(folder);
    const existing = this.indexes.get(root);
    if (existing) return { path: root, ...existing.stats() };
    const index = new FolderIndex({
      root,
      cacheFile: path.join(this.options.dataDir, 'hash-cache', `${createHash('sha256').update(root).digest('hex').slice(0, CACHE_NAME_HEX)}.json`),
      logger: this.options.logger,
      includeHidden: this.options.includeHidden,
      usePolling: this.options.usePolling,
    });
    index.on('change', () => this.options.onChange());
    index.on('status', () => this.options.onStatus());
    index.on('warning', (m) => this.options.onWarning(m));
    await index.start();
    this.indexes.set(root, index);
    this.options.onChange();
    return { path: root, ...index.stats() };
  }

  async remove(folder: string): Promise<void> {
    const root = path.resolve(folder);
    const index = this.indexes.get(root);
    if (!index) return;
    this.indexes.delete(root);
    await index.stop();
    this.options.onChange();
  }

  statuses(): SharedFolderStatus[] {
    return [...this.indexes.entries()].map(([root, index]) => ({ path: root, ...index.stats() }));
  }

  get(folder: string): FolderIndex | undefined {
    return this.indexes.get(path.resolve(folder));
  }

  all(): IterableIterator<FolderIndex> {
    return this.indexes.values();
  }

  /** Every shared file, one entry per path: the first folder wins a clash. */
  announcements(): Map<string, FileAnnouncement> {
    const byPath = new Map<string, FileAnnouncement>();
    for (const index of this.indexes.values()) {
      for (const file of index.announcements()) if (!byPath.has(file.path)) byPath.set(file.path, file);
    }
    return byPath;
  }

  hasContent(hash: string): boolean {
    for (const index of this.indexes.values()) if (index.findByHash(hash)) return true;
    return false;
  }

  /** Hands a finished download to the folder it landed in, so it is shared without rehashing. */
  async adopt(finalPath: string, info: ContentInfo): Promise<void> {
    for (const index of this.indexes.values()) {
      const rel = path.relative(index.root, finalPath);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
        try {
          await index.adopt(finalPath, info);
        } catch (err) {
          this.options.logger.debug(`could not adopt ${finalPath}: ${errorMessage(err)}`);
        }
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.indexes.values()].map((i) => i.stop()));
    this.indexes.clear();
  }
}
