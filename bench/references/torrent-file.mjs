// Builds a single-file .torrent (BitTorrent v1) for an existing file, so every
// reference tool downloads exactly the same torrent: same pieces, same info hash.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

// 1 MiB pieces: the piece size of our own engine (shared/protocol/limits.ts), so the
// references verify and request data at the same granularity as we do.
export const TORRENT_PIECE_BYTES = 1024 * 1024;

/** Bencodes strings, Buffers, integers, arrays and objects (keys sorted, as the spec requires). */
export function bencode(value) {
  if (Buffer.isBuffer(value)) return Buffer.concat([Buffer.from(`${value.length}:`), value]);
  if (typeof value === 'string') return bencode(Buffer.from(value));
  if (Number.isInteger(value)) return Buffer.from(`i${value}e`);
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k])]), Buffer.from('e')]);
}

/** SHA-1 of every piece of `file`, concatenated (the info dictionary's `pieces`). */
async function pieceHashes(file, pieceBytes) {
  const hashes = [];
  let piece = createHash('sha1');
  let filled = 0;
  for await (let chunk of createReadStream(file, { highWaterMark: pieceBytes })) {
    while (chunk.length > 0) {
      const take = Math.min(pieceBytes - filled, chunk.length);
      piece.update(chunk.subarray(0, take));
      filled += take;
      chunk = chunk.subarray(take);
      if (filled === pieceBytes) {
        hashes.push(piece.digest());
        piece = createHash('sha1');
        filled = 0;
      }
    }
  }
  if (filled > 0) hashes.push(piece.digest());
  return Buffer.concat(hashes);
}

/** The info dictionary of `file` (everything the info hash covers). */
export async function torrentInfo(file, pieceBytes = TORRENT_PIECE_BYTES) {
  return {
    length: (await stat(file)).size,
    name: path.basename(file),
    'piece length': pieceBytes,
    pieces: await pieceHashes(file, pieceBytes),
  };
}

/** Hex info hash: what trackers and peers know the torrent by. */
export const infoHashOf = (info) => createHash('sha1').update(bencode(info)).digest('hex');

/** The .torrent file announcing `info` to one tracker URL. */
export const torrentFile = (info, announce) => bencode({ announce, 'created by': 'p2p bench', info });
