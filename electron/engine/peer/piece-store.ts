import { constants } from 'node:fs';
import { link, lstat, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { contentHash } from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage } from '../errors.js';
import { hashPiece, pieceCount, pieceHashAt, pieceLength } from '../core/content-hash.js';
import { PARTIAL_LOCK_SUFFIX, PARTIAL_SUFFIX } from '../index/ignore-rules.js';
import { DebouncedWriter, writeFileAtomic } from '../persist.js';
import { ProcessLock } from '../process-lock.js';
import { assertInside, prepareDestination } from './safe-destination.js';

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

/**
 * The hidden name a download is written under until it is complete and
 * verified. It is named by the whole content hash and nothing else, so one
 * partial file only ever holds pieces of one content (two names can't share
 * it), and its length is fixed whatever the file's name.
 */
export function partialPathFor(finalPath: string, hash: string): string {
  return path.join(path.dirname(finalPath), `.${hash}${PARTIAL_SUFFIX}`);
}

/** The lock a download holds while it writes `partial`. */
export function partialLockPathFor(partial: string): string {
  return `${partial.slice(0, -PARTIAL_SUFFIX.length)}${PARTIAL_LOCK_SUFFIX}`;
}

/** The name earlier versions used (name prefix + 8 hex digits), adopted on resume. */
function legacyPartialPathFor(finalPath: string, hash: string): string {
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
  /** The destination folder the user chose: nothing is written outside it. */
  root: string;
  statePath: string;
}

/**
 * The on-disk side of one download: a hidden partial file in the destination
 * folder, plus a small resume record (piece hashes and which pieces are
 * verified) in the engine's data dir. Only verified pieces are written, and
 * the file appears under its real name only through `finalize`.
 *
 * A store holds an exclusive lock on its partial file for as long as it is
 * open (see ProcessLock), so no other download, in this process or another,
 * writes into it; `finalize` checks the lock and the file are still the ones
 * it wrote through before it publishes anything.
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
  /** Piece writes in progress; closing waits for them, so nothing writes to a closed file. */
  private readonly writes = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: PieceStoreOptions,
    private handle: FileHandle | undefined,
    private readonly lock: ProcessLock,
    private readonly identity: { dev: number; ino: number },
  ) {
    this.partialPath = partialPathFor(options.finalPath, options.hash);
    this.pieceCount = pieceCount(options.size, options.pieceSize);
    this.have = new Uint8Array(this.pieceCount);
  }

  /** Opens (or creates) the partial file and re-verifies the pieces a previous run recorded. */
  static async open(options: PieceStoreOptions, previous?: ResumeState): Promise<PieceStore> {
    await prepareDestination(options.root, options.finalPath, options.name);
    const partial = partialPathFor(options.finalPath, options.hash);
    const lock = await lockPartial(partial, options.name);
    let handle: FileHandle | undefined;
    try {
      await adoptLegacyPartial(legacyPartialPathFor(options.finalPath, options.hash), partial);
      try {
        handle = await open(partial, constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0), 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') throw new EngineError('unsafe_path', `refusing to save "${options.name}": ${partial} is a symbolic link`);
        throw new EngineError('io_error', `cannot write ${partial}: ${errorMessage(err)}`, { cause: err });
      }
      const info = await handle.stat();
      if (!info.isFile()) throw new EngineError('unsafe_path', `refusing to save "${options.name}": ${partial} is not a regular file`);
      const store = new PieceStore(options, handle, lock, { dev: info.dev, ino: info.ino });
      await store.verifyExisting(previous);
      return store;
    } catch (err) {
      await handle?.close().catch(() => {});
      await lock.release();
      throw err;
    }
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
  write(index: number, data: Buffer): Promise<void> {
    if (this.have[index]) return Promise.resolve();
    const handle = this.requireHandle();
    const writing = this.writeAt(handle, index, data);
    this.writes.add(writing);
    void writing.catch(() => {}).finally(() => this.writes.delete(writing));
    return writing;
  }

  private async writeAt(handle: FileHandle, index: number, data: Buffer): Promise<void> {
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

  /**
   * Flushes, then moves the verified file to its real name without overwriting
   * anything. Refuses unless every piece was verified by this store, the lock
   * on the partial file is still this store's, the partial file is still the
   * one it wrote to, and the destination is still inside the chosen folder.
   */
  async finalize(): Promise<string> {
    const handle = this.requireHandle();
    if (!this.complete) throw new Error('finalize before completion');
    await Promise.allSettled([...this.writes]);
    await this.flushing;
    await handle.truncate(this.options.size);
    await handle.sync();
    const target = this.options.finalPath;
    await this.checkIntegrity(handle);
    await assertInside(this.options.root, target, this.options.name);
    this.handle = undefined;
    await handle.close();
    await this.saver.cancel();
    try {
      await link(this.partialPath, target); // fails if target exists (a link included): never clobber
      await unlink(this.partialPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw this.destinationExists(target);
      if (code === 'ENOENT') throw new EngineError('io_error', `${this.partialPath} vanished before it could be moved to ${target}; download it again`);
      // File systems without hard links: check, then rename.
      const exists = await lstat(target).then(() => true, () => false);
      if (exists) throw this.destinationExists(target);
      await rename(this.partialPath, target);
    } finally {
      await this.lock.release();
    }
    await unlink(this.options.statePath).catch(() => {});
    return target;
  }

  /** Saves the resume record and closes the partial file; the download can resume later. Safe to call twice at once. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  /** Removes the partial file and the resume record (a cancelled download). */
  async discard(): Promise<void> {
    await this.close();
    await PieceStore.discardFiles(this.options.finalPath, this.options.hash, this.options.statePath);
  }

  /**
   * Removes a download's partial file and resume record, also for a download that
   * never opened its store (restored after a restart). Deletes only under the
   * lock: another download may have taken the partial file meanwhile.
   */
  static async discardFiles(finalPath: string, hash: string, statePath: string): Promise<void> {
    const partial = partialPathFor(finalPath, hash);
    const locked = await ProcessLock.acquire(partialLockPathFor(partial)).catch(() => undefined);
    if (locked && 'lock' in locked) {
      await unlink(partial).catch(() => {});
      await locked.lock.release();
    }
    await unlink(statePath).catch(() => {});
  }

  private async closeOnce(): Promise<void> {
    const handle = this.handle;
    if (!handle) return this.lock.release();
    await Promise.allSettled([...this.writes]);
    await this.flushing;
    this.handle = undefined; // before the awaits below, so nothing else uses it meanwhile
    await this.saver.flush({ always: true });
    await handle.close().catch(() => {});
    await this.lock.release();
  }

  /** The pieces on disk are exactly the ones this store verified and wrote. */
  private async checkIntegrity(handle: FileHandle): Promise<void> {
    const refuse = (why: string) =>
      new EngineError('io_error', `not saving ${this.options.name}: ${why}; the download must start again`);
    for (let i = 0; i < this.pieceCount; i++) if (!this.have[i]) throw refuse(`piece ${i} was never verified`);
    if (!(await this.lock.held())) throw refuse(`the lock on ${this.partialPath} was taken by someone else`);
    const [open, named] = await Promise.all([handle.stat(), lstat(this.partialPath).catch(() => undefined)]);
    if (open.dev !== this.identity.dev || open.ino !== this.identity.ino || !named || named.dev !== open.dev || named.ino !== open.ino) {
      throw refuse(`${this.partialPath} was replaced while the download ran`);
    }
    if (open.size !== this.options.size) throw refuse(`${this.partialPath} has ${open.size} bytes, not ${this.options.size}`);
  }

  private destinationExists(target: string): EngineError {
    return new EngineError('destination_exists', `${target} already exists; the verified download is kept as ${this.partialPath}`);
  }

  private requireHandle(): FileHandle {
    if (this.closing) throw new EngineError('cancelled', 'download store is closed');
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

/** Takes the partial file's lock, or says who is downloading into it. */
async function lockPartial(partial: string, name: string): Promise<ProcessLock> {
  const result = await ProcessLock.acquire(partialLockPathFor(partial));
  if ('lock' in result) return result.lock;
  if ('unlocked' in result) throw new EngineError('io_error', `cannot save "${name}": ${result.unlocked}`);
  const who = result.heldBy === process.pid ? 'another download in this app' : result.heldBy > 0 ? `another process (pid ${result.heldBy})` : 'another process';
  throw new EngineError('download_busy', `"${name}" is already being downloaded into ${path.dirname(partial)} by ${who}; wait for it to finish`);
}

/** Moves a partial file left under an earlier version's name to the current name (its pieces are re-verified). */
async function adoptLegacyPartial(legacy: string, partial: string): Promise<void> {
  if (legacy === partial) return;
  const [old, current] = await Promise.all([lstat(legacy).catch(() => undefined), lstat(partial).catch(() => undefined)]);
  if (old?.isFile() && !current) await rename(legacy, partial).catch(() => {});
}
