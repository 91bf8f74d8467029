import { createHash, randomBytes } from 'node:crypto';
import { PIECE_SIZE } from '../../shared/protocol/limits.js';
import { contentHashOf, contentInfoOf, hashPiece } from '../../electron/engine/core/content-hash.js';

/** Bytes of the varied last piece: small, so each try costs two short hashes. */
const TAIL_BYTES = 16;
/** Tries per side of the birthday search: 2 × 2^17 tries give ~4 expected 32-bit matches. */
const TRIES_PER_SIDE = 1 << 17;
const ROUNDS = 8;

/**
 * Two different contents of the same size whose content hashes share their
 * first `prefixHex` hex digits, found by a birthday search over their last
 * (small) piece: what an adversarial member does to make two downloads share
 * a partial file named by a hash prefix. `pieces` full pieces plus a 16-byte tail.
 */
export function collidingContents(pieces: number, prefixHex = 8): { a: Buffer; b: Buffer; prefix: string } {
  const size = pieces * PIECE_SIZE + TAIL_BYTES;
  for (let round = 0; round < ROUNDS; round++) {
    const bodyA = randomBytes(pieces * PIECE_SIZE);
    const bodyB = randomBytes(pieces * PIECE_SIZE);
    const hashesA = pieceHashesOf(bodyA, pieces);
    const hashesB = pieceHashesOf(bodyB, pieces);
    const seen = new Map<string, number>();
    const tail = Buffer.alloc(TAIL_BYTES);
    const contentWith = (hashes: Buffer, counter: number) => {
      tail.writeUInt32BE(counter, 0);
      hashPiece(tail).copy(hashes, pieces * 32);
      return contentHashOf(size, PIECE_SIZE, hashes).slice(0, prefixHex);
    };
    for (let i = 0; i < TRIES_PER_SIDE; i++) seen.set(contentWith(hashesA, i), i);
    for (let j = 0; j < TRIES_PER_SIDE; j++) {
      const i = seen.get(contentWith(hashesB, j));
      if (i === undefined) continue;
      const withTail = (body: Buffer, counter: number) => {
        const t = Buffer.alloc(TAIL_BYTES);
        t.writeUInt32BE(counter, 0);
        return Buffer.concat([body, t]);
      };
      const a = withTail(bodyA, i);
      const b = withTail(bodyB, j);
      return { a, b, prefix: contentInfoOf(a).hash.slice(0, prefixHex) };
    }
  }
  throw new Error('no colliding pair found (vanishingly unlikely)');
}

function pieceHashesOf(data: Buffer, count: number): Buffer {
  const out = Buffer.alloc((count + 1) * 32);
  for (let i = 0; i < count; i++) hashPiece(data.subarray(i * PIECE_SIZE, Math.min((i + 1) * PIECE_SIZE, data.length))).copy(out, i * 32);
  return out;
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
