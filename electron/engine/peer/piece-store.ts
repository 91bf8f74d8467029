import { constants } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { contentHash } from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage } from '../errors.js';
import { hashPiece, pieceCount, pieceHashAt, pieceLength } from '../index/content-hash.js';
import { PARTIAL_SUFFIX } from '../index/ignore-rules.js';
import { DebouncedWriter, writeFileAtomic } from '../persist.js';

const STATE_SAVE_DELAY_MS = 500;
/**
 * After this many bytes written, a flush to disk starts in the background, so the
 * fsync that precedes the final rename has only the tail left to write out
 * instead of the whole file.
 */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

const resumeState = z.object({
  version: z.literal(1),
  hash: contentHash,
  name: z.string(),
  size: z.number().int().min(0),
  pieceSize: z.number().int().min(1),
  pieceHashes: z.string(),
  have: z.string(),
});
export type ResumeState = z.infer<typeof resumeState>;

/** The hidden name a download is written under until it is complete and verified. */
export function partialPathFor(finalPath: string, hash: string): string {
  const base = path.basename(finalPath).slice(0, 180);
  return path.join(path.dirname(finalPath), `.${base}.${hash.slice(0, 8)}${PARTIAL_SUFFIX}`);
}

export async function loadResumeState(statePath: string, hash: string): Promise<ResumeState | undefined> {
  try {
    const state = resumeState.parse(JSON.parse(await readFile(statePath, 'utf8')));
    return state.hash === hash ? state : undefined;
  } catch {
    return undefined;
  }
}

export interface PieceStoreOptions {
  hash: string;
  name: string;
  size: number;
  pieceSize: number;
  pieceHashes: Buffer;
  finalPath: string;
  statePath: string;
}

/**
 * The on-disk side of one download: a hidden partial file in the destination
 * folder, plus a small resume record (piece hashes and which pieces are
 * verified) in the engine's data dir. Only verified pieces are written, and
 * the file appears under its real name only through `finalize`.
 */
export class PieceStore {
  readonly partialPath: string;
  readonly pieceCount: number;
  private readonly have: Uint8Array;
  private haveCount = 0;
  private readonly saver = new DebouncedWriter(() => this.saveState(), STATE_SAVE_DELAY_MS);
  /** Pieces found verified on disk when the store was opened. */
  resumedPieces = 0;
  private unflushedBytes = 0;
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly options: PieceStoreOptions,
    private handle: FileHandle | undefined,
  ) {
    this.partialPath = partialPathFor(options.finalPath, options.hash);
    this.pieceCount = pieceCount(options.size, options.pieceSize);
    this.have = new Uint8Array(this.pieceCount);
  }

  /** Opens (or creates) the partial file and re-verifies the pieces a previous run recorded. */
  static async open(options: PieceStoreOptions, previous?: ResumeState): Promise<PieceStore> {
    const dir = path.dirname(options.finalPath);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new EngineError('io_error', `cannot create folder ${dir}: ${errorMessage(err)}`, { cause: err });
    }
    const partial = partialPathFor(options.finalPath, options.hash);
    let handle: FileHandle;
    try {
      handle = await open(partial, constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o644);
    } catch (err) {
      throw new EngineError('io_error', `cannot write ${partial}: ${errorMessage(err)}`, { cause: err });
    }
    const store = new PieceStore(options, handle);
    await store.verifyExisting(previous);
    return store;
  }

  get complete(): boolean {
    return this.haveCount === this.pieceCount;
  }

  get piecesDone(): number {
    return this.haveCount;
  }

  get bytesDone(): number {
    let bytes = 0;
    if (this.haveCount === this.pieceCount) return this.options.size;
    for (let i = 0; i < this.pieceCount; i++) if (this.have[i]) bytes += pieceLength(i, this.options.size, this.options.pieceSize);
    return bytes;
  }

  has(index: number): boolean {
    return this.have[index] === 1;
  }

  /** True when `data` is exactly piece `index` of this content. */
  verify(index: number, data: Buffer): boolean {
    return this.matches(index, data.length, hashPiece(data));
  }

  /** True when `length` bytes with SHA-256 `digest` are exactly piece `index` (hashed elsewhere, e.g. on a worker). */
  matches(index: number, length: number, digest: Buffer): boolean {
    if (index < 0 || index >= this.pieceCount) return false;
    if (length !== pieceLength(index, this.options.size, this.options.pieceSize)) return false;
    return digest.equals(pieceHashAt(this.options.pieceHashes, index));
  }

  /** Reads a verified piece back (to serve it while the download goes on). */
  async read(index: number): Promise<Buffer> {
    if (!this.have[index] || !this.handle) throw new EngineError('not_found', `piece ${index} is not here`);
    const length = pieceLength(index, this.options.size, this.options.pieceSize);
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, index * this.options.pieceSize);
    if (bytesRead !== length) throw new EngineError('not_found', `piece ${index} could not be read`);
    return buffer;
  }

  bitfield(): Buffer {
    const bits = Buffer.alloc(Math.ceil(this.pieceCount / 8));
    for (let i = 0; i < this.pieceCount; i++) if (this.have[i]) bits[i >> 3]! |= 0x80 >> (i & 7);
    return bits;
  }

  /** Writes a piece the caller has verified. */
  async write(index: number, data: Buffer): Promise<void> {
    if (this.have[index]) return;
    const handle = this.requireHandle();
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, index * this.options.pieceSize + written);
        written += bytesWritten;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new EngineError('disk_full', `the disk holding ${path.dirname(this.options.finalPath)} is full; free some space and resume (verified pieces are kept)`, { cause: err });
      }
      throw new EngineError('io_error', `cannot write ${this.partialPath}: ${errorMessage(err)}`, { cause: err });
    }
    if (!this.have[index]) {
      this.have[index] = 1;
      this.haveCount++;
    }
    this.scheduleSave();
    this.unflushedBytes += data.length;
    if (this.unflushedBytes >= FLUSH_EVERY_BYTES && !this.flushing) {
      this.unflushedBytes = 0;
      // A failed background flush is not fatal: finalize's sync reports any real write error.
      this.flushing = handle.datasync().catch(() => {}).finally(() => (this.flushing = undefined));
    }
  }

  /** Flushes, then moves the verified file to its real name without overwriting anything. */
  async finalize(): Promise<string> {
    const handle = this.requireHandle();
    if (!this.complete) throw new Error('finalize before completion');
    await this.flushing;
    await handle.truncate(this.options.size);
    await handle.sync();
    await handle.close();
    this.handle = undefined;
    await this.saver.cancel();
    const target = this.options.finalPath;
    try {
      await link(this.partialPath, target); // fails if target exists: never clobber
      await unlink(this.partialPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new EngineError('destination_exists', `${target} already exists; the verified download is kept as ${this.partialPath}`);
      }
      // File systems without hard links: check, then rename.
      const exists = await stat(target).then(() => true, () => false);
      if (exists) throw new EngineError('destination_exists', `${target} already exists; the verified download is kept as ${this.partialPath}`);
      await rename(this.partialPath, target);
    }
    await unlink(this.options.statePath).catch(() => {});
    return target;
  }

  /** Saves the resume record and closes the partial file; the download can resume later. */
  async close(): Promise<void> {
    if (this.handle) {
      await this.flushing;
      await this.saver.flush({ always: true });
      await this.handle.close().catch(() => {});
      this.handle = undefined;
    }
  }

  /** Removes the partial file and the resume record (a cancelled download). */
  async discard(): Promise<void> {
    await this.close();
    await unlink(this.partialPath).catch(() => {});
    await unlink(this.options.statePath).catch(() => {});
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new EngineError('io_error', 'download store is closed');
    return this.handle;
  }

  private async verifyExisting(previous: ResumeState | undefined): Promise<void> {
    const handle = this.requireHandle();
    const { size: onDisk } = await handle.stat();
    if (onDisk === 0 || this.pieceCount === 0) return;
    const marked = previous && previous.size === this.options.size ? Buffer.from(previous.have, 'base64') : undefined;
    const buffer = Buffer.allocUnsafe(this.options.pieceSize);
    for (let i = 0; i < this.pieceCount; i++) {
      // Without a record, any piece that fits in the file is worth checking.
      if (marked && !(marked[i >> 3]! & (0x80 >> (i & 7)))) continue;
      const length = pieceLength(i, this.options.size, this.options.pieceSize);
      const start = i * this.options.pieceSize;
      if (start + length > onDisk) break;
      const { bytesRead } = await handle.read(buffer, 0, length, start);
      if (bytesRead === length && this.verify(i, buffer.subarray(0, length))) {
        this.have[i] = 1;
        this.haveCount++;
      }
    }
    this.resumedPieces = this.haveCount;
  }

  private scheduleSave(): void {
    this.saver.schedule();
  }

  // Losing the record only means the partial file is re-checked piece by piece on resume.
  private saveState(): Promise<void> {
    const state: ResumeState = {
      version: 1,
      hash: this.options.hash,
      name: this.options.name,
      size: this.options.size,
      pieceSize: this.options.pieceSize,
      pieceHashes: this.options.pieceHashes.toString('base64'),
      have: this.bitfield().toString('base64'),
    };
    return writeFileAtomic(this.options.statePath, JSON.stringify(state));
  }
}
