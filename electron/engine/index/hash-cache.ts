import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PIECE_SIZE } from '../../../shared/protocol/limits.js';
import { contentHash } from '../../../shared/protocol/messages.js';
import type { ContentInfo } from '../core/content-hash.js';
import { DebouncedWriter, writeFileAtomic } from '../persist.js';

const SAVE_DELAY_MS = 1000;
const cacheFile = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.tuple([z.number(), z.number(), contentHash, z.string()])),
});

/**
 * Remembers content info by (relative path, size, mtime) so a restart does not
 * re-hash unchanged files. Lives in the engine's data dir, never in the shared
 * folder. A missing or damaged cache only costs a re-hash.
 */
export class HashCache {
  private entries = new Map<string, [size: number, mtimeMs: number, hash: string, pieces: string]>();
  private readonly saver = new DebouncedWriter(() => this.save(), SAVE_DELAY_MS);
  hits = 0;
  misses = 0;

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    try {
      const parsed = cacheFile.parse(JSON.parse(text));
      this.entries = new Map(Object.entries(parsed.entries));
    } catch {
      this.entries = new Map(); // damaged: start over, files get re-hashed
    }
  }

  get(relPath: string, size: number, mtimeMs: number): ContentInfo | undefined {
    const entry = this.entries.get(relPath);
    if (!entry || entry[0] !== size || entry[1] !== mtimeMs) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { hash: entry[2], size, pieceSize: PIECE_SIZE, pieceHashes: Buffer.from(entry[3], 'base64') };
  }

  set(relPath: string, mtimeMs: number, info: ContentInfo): void {
    this.entries.set(relPath, [info.size, mtimeMs, info.hash, info.pieceHashes.toString('base64')]);
    this.scheduleSave();
  }

  delete(relPath: string): void {
    if (this.entries.delete(relPath)) this.scheduleSave();
  }

  /** Writes now if anything is pending. */
  flush(): Promise<void> {
    return this.saver.flush();
  }

  private scheduleSave(): void {
    this.saver.schedule();
  }

  // The cache is an optimisation; failing to save it costs a re-hash next start.
  private save(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify({ version: 1, entries: Object.fromEntries(this.entries) }));
  }
}
