import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { PIECE_SIZE } from '../../../shared/protocol/limits.js';
import { pieceBuffers } from '../wire/buffer-pool.js';
import { pieceHasher } from './piece-hasher.js';

/**
 * Content hash, version 1 (docs/PROTOCOL.md §Content hash):
 *   piece i     = bytes [i·P, min((i+1)·P, size)), P = 1 MiB
 *   pieceHash i = SHA-256(piece i)
 *   content     = SHA-256("p2pshare/v1\0" ‖ u64be size ‖ u32be P ‖ pieceHash 0 ‖ … ‖ pieceHash n-1)
 * A piece-hash list rather than a Merkle tree: at 32 bytes per MiB the whole
 * list is small (32 KiB per GiB), it is fetched once, checked against the
 * content hash, and then every piece is checked on arrival on its own.
 */
const DOMAIN = Buffer.from('p2pshare/v1\0', 'ascii');
export const HASH_BYTES = 32;

export interface ContentInfo {
  hash: string;
  size: number;
  pieceSize: number;
  /** pieceCount × 32 bytes */
  pieceHashes: Buffer;
}

export function pieceCount(size: number, pieceSize = PIECE_SIZE): number {
  return Math.ceil(size / pieceSize);
}

export function pieceLength(index: number, size: number, pieceSize = PIECE_SIZE): number {
  return Math.min(pieceSize, size - index * pieceSize);
}

export function hashPiece(data: Uint8Array): Buffer {
  return pieceHashing().update(data).digest();
}

/** hashPiece fed in parts (as a piece arrives from the network). */
export function pieceHashing(): Hash {
  return createHash('sha256');
}

export function contentHashOf(size: number, pieceSize: number, pieceHashes: Buffer): string {
  const header = Buffer.allocUnsafe(12);
  header.writeBigUInt64BE(BigInt(size), 0);
  header.writeUInt32BE(pieceSize, 8);
  return createHash('sha256').update(DOMAIN).update(header).update(pieceHashes).digest('hex');
}

export function pieceHashAt(pieceHashes: Buffer, index: number): Buffer {
  return pieceHashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
}

/** Hashes an in-memory buffer (tests, small content). */
export function contentInfoOf(data: Uint8Array, pieceSize = PIECE_SIZE): ContentInfo {
  const count = pieceCount(data.length, pieceSize);
  const pieceHashes = Buffer.allocUnsafe(count * HASH_BYTES);
  for (let i = 0; i < count; i++) {
    hashPiece(data.subarray(i * pieceSize, Math.min((i + 1) * pieceSize, data.length))).copy(pieceHashes, i * HASH_BYTES);
  }
  return { hash: contentHashOf(data.length, pieceSize, pieceHashes), size: data.length, pieceSize, pieceHashes };
}

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

/** Pieces at least this large are hashed on a worker; smaller ones cost less to hash than to hand over. */
const WORKER_HASH_MIN_BYTES = 64 * 1024;

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
