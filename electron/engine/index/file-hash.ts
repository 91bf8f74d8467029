import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { PIECE_SIZE } from '../../../shared/protocol/limits.js';
import { pieceBuffers } from '../core/buffer-pool.js';
import { HASH_BYTES, contentHashOf, pieceCount, pieceLength, type ContentInfo } from '../core/content-hash.js';
import { pieceHasher } from './piece-hasher.js';

/** Pieces at least this large are hashed on a worker; smaller ones cost less to hash than to hand over. */
const WORKER_HASH_MIN_BYTES = 64 * 1024;

/**
 * Hashing a shared file from disk into its content info (the format is core/content-hash.ts):
 * each piece is read into a pooled buffer and hashed on a worker while the next one is read.
 */
export interface HashFileOptions {
  signal?: AbortSignal;
  /** Called after each piece with the bytes hashed so far. */
  onProgress?: (bytes: number) => void;
}

/** Reads a file once, piece by piece, and returns its content info. */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<ContentInfo> {
  const handle = await open(path, 'r');
  try {
    return await hashHandle(handle, options);
  } finally {
    await handle.close();
  }
}

async function hashHandle(handle: FileHandle, options: HashFileOptions): Promise<ContentInfo> {
  const { size } = await handle.stat();
  const count = pieceCount(size);
  const pieceHashes = Buffer.allocUnsafe(count * HASH_BYTES);
  // The next piece is read while the previous one is hashed on a worker.
  let hashing: Promise<void> = Promise.resolve();
  try {
    for (let i = 0; i < count; i++) {
      options.signal?.throwIfAborted();
      const want = pieceLength(i, size);
      const movable = want >= WORKER_HASH_MIN_BYTES;
      const buffer = movable ? pieceBuffers.take(want) : Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(buffer, filled, want - filled, i * PIECE_SIZE + filled);
        if (bytesRead === 0) throw new Error('file shrank while it was being hashed');
        filled += bytesRead;
      }
      await hashing;
      hashing = pieceHasher.hash(buffer, movable).then(({ digest, data }) => {
        digest.copy(pieceHashes, i * HASH_BYTES);
        pieceBuffers.give(data);
        options.onProgress?.(i * PIECE_SIZE + want);
      });
    }
  } finally {
    await hashing.catch(() => {}); // a read error wins; a hash error surfaces below
  }
  await hashing;
  return { hash: contentHashOf(size, PIECE_SIZE, pieceHashes), size, pieceSize: PIECE_SIZE, pieceHashes };
}
