import { createHash, type Hash } from 'node:crypto';
import { PIECE_SIZE } from '../../../shared/protocol/limits.js';

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
