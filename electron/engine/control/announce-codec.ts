import {
  ANNOUNCE_ADD_FIXED_BYTES,
  ANNOUNCE_FIXED_BYTES,
  ANNOUNCE_REMOVE_FIXED_BYTES,
  DatagramType,
  FLAG_RESET,
  HASH_BYTES,
  MAX_BODY_BYTES,
  PEER_REF_BYTES,
} from '../../../shared/protocol/datagram.js';
import { MAX_PATH_BYTES } from '../../../shared/protocol/limits.js';
import type { FileAnnouncement } from '../../../shared/protocol/messages.js';
import { drop, hex, isDrop, readPath, readPeerRef, readSize, writeHash, writePeerRef, writeSize, type DatagramDrop, type PeerRef } from './datagram-fields.js';

/**
 * ANNOUNCE bodies: the peer ref, addCount(2) removeCount(2), then the adds (hash(32) size(8)
 * pathLen(2) path) and the removes (pathLen(2) path). The reset flag rides in the header's
 * flags. The tracker applies reset, then removes, then adds (as v1's announce).
 */

export type AnnounceBody = PeerRef & {
  type: typeof DatagramType.ANNOUNCE;
  reset: boolean;
  add: FileAnnouncement[];
  remove: string[];
};

export type AnnounceBatch = { add: FileAnnouncement[]; remove: string[] };

/** Bytes an ANNOUNCE body may spend on entries in one sealed datagram. */
export const ANNOUNCE_ENTRY_BUDGET = MAX_BODY_BYTES - ANNOUNCE_FIXED_BYTES;

export function encodeAnnounce(msg: AnnounceBody): { flags: number; body: Buffer } {
  const addPaths = msg.add.map((file) => Buffer.from(file.path, 'utf8'));
  const removePaths = msg.remove.map((path) => Buffer.from(path, 'utf8'));
  let length = ANNOUNCE_FIXED_BYTES;
  for (const path of addPaths) length += ANNOUNCE_ADD_FIXED_BYTES + path.length;
  for (const path of removePaths) length += ANNOUNCE_REMOVE_FIXED_BYTES + path.length;
  if (length > MAX_BODY_BYTES) throw new RangeError(`an announce body of ${length} bytes does not fit one datagram (use announceBatches)`);
  const body = Buffer.allocUnsafe(length);
  writePeerRef(body, msg);
  body.writeUInt16BE(msg.add.length, PEER_REF_BYTES);
  body.writeUInt16BE(msg.remove.length, PEER_REF_BYTES + 2);
  let at = ANNOUNCE_FIXED_BYTES;
  msg.add.forEach((file, i) => {
    const path = addPaths[i]!;
    writeHash(body, at, file.hash);
    writeSize(body, at + HASH_BYTES, file.size);
    body.writeUInt16BE(path.length, at + HASH_BYTES + 8);
    at += ANNOUNCE_ADD_FIXED_BYTES + path.copy(body, at + ANNOUNCE_ADD_FIXED_BYTES);
  });
  for (const path of removePaths) {
    body.writeUInt16BE(path.length, at);
    at += ANNOUNCE_REMOVE_FIXED_BYTES + path.copy(body, at + ANNOUNCE_REMOVE_FIXED_BYTES);
  }
  return { flags: msg.reset ? FLAG_RESET : 0, body };
}

export function decodeAnnounce(flags: number, body: Buffer): AnnounceBody | DatagramDrop {
  if ((flags & ~FLAG_RESET) !== 0) return drop('bad_field', 'unknown announce flags');
  if (body.length < ANNOUNCE_FIXED_BYTES) return drop('truncated');
  const ref = readPeerRef(body);
  if (isDrop(ref)) return ref;
  const addCount = body.readUInt16BE(PEER_REF_BYTES);
  const removeCount = body.readUInt16BE(PEER_REF_BYTES + 2);
  // Every entry has a path of at least one byte: refuse impossible counts before looping.
  if (addCount * (ANNOUNCE_ADD_FIXED_BYTES + 1) + removeCount * (ANNOUNCE_REMOVE_FIXED_BYTES + 1) > body.length - ANNOUNCE_FIXED_BYTES) return drop('truncated');
  const add: FileAnnouncement[] = [];
  const remove: string[] = [];
  let at = ANNOUNCE_FIXED_BYTES;
  for (let i = 0; i < addCount; i++) {
    if (at + ANNOUNCE_ADD_FIXED_BYTES > body.length) return drop('truncated');
    const size = readSize(body, at + HASH_BYTES);
    if (size < 0) return drop('bad_field', 'file size out of range');
    const pathLength = body.readUInt16BE(at + HASH_BYTES + 8);
    const pathAt = at + ANNOUNCE_ADD_FIXED_BYTES;
    const path = readEntryPath(body, pathAt, pathLength);
    if (typeof path !== 'string') return path;
    add.push({ path, size, hash: hex(body, at, HASH_BYTES) });
    at = pathAt + pathLength;
  }
  for (let i = 0; i < removeCount; i++) {
    if (at + ANNOUNCE_REMOVE_FIXED_BYTES > body.length) return drop('truncated');
    const pathLength = body.readUInt16BE(at);
    const path = readEntryPath(body, at + ANNOUNCE_REMOVE_FIXED_BYTES, pathLength);
    if (typeof path !== 'string') return path;
    remove.push(path);
    at += ANNOUNCE_REMOVE_FIXED_BYTES + pathLength;
  }
  if (at !== body.length) return drop('bad_length');
  return { type: DatagramType.ANNOUNCE, ...ref, reset: (flags & FLAG_RESET) !== 0, add, remove };
}

function readEntryPath(body: Buffer, at: number, length: number): string | DatagramDrop {
  if (length === 0 || length > MAX_PATH_BYTES) return drop('bad_field', 'path length out of range');
  if (at + length > body.length) return drop('truncated');
  return readPath(body, at, length);
}

/**
 * Packs announce entries into as few ANNOUNCE datagrams as it can (best-fit decreasing: within
 * 11/9 of the optimum), none over MAX_DATAGRAM_BYTES in sealed mode. An entry too big for any
 * datagram (a path over about 1 KiB) comes back in `oversized`: it goes over the stream channel.
 * Paths must be distinct across `files` and `removes`: batches may arrive in any order.
 * No entries, no batches (a reset with nothing to announce is the caller's empty ANNOUNCE).
 */
export function announceBatches(files: readonly FileAnnouncement[], removes: readonly string[]): { batches: AnnounceBatch[]; oversized: AnnounceBatch } {
  type Entry = { cost: number; file?: FileAnnouncement; remove?: string };
  const entries: Entry[] = [];
  const oversized: AnnounceBatch = { add: [], remove: [] };
  for (const file of files) {
    const cost = ANNOUNCE_ADD_FIXED_BYTES + Buffer.byteLength(file.path, 'utf8');
    if (cost > ANNOUNCE_ENTRY_BUDGET) oversized.add.push(file);
    else entries.push({ cost, file });
  }
  for (const path of removes) {
    const cost = ANNOUNCE_REMOVE_FIXED_BYTES + Buffer.byteLength(path, 'utf8');
    if (cost > ANNOUNCE_ENTRY_BUDGET) oversized.remove.push(path);
    else entries.push({ cost, remove: path });
  }
  entries.sort((a, b) => b.cost - a.cost);

  const batches: AnnounceBatch[] = [];
  const open = new OpenBatches(ANNOUNCE_ENTRY_BUDGET);
  for (const entry of entries) {
    let room = open.smallestRoomAtLeast(entry.cost);
    let batch: number;
    if (room < 0) {
      batch = batches.push({ add: [], remove: [] }) - 1;
      room = ANNOUNCE_ENTRY_BUDGET;
    } else {
      batch = open.take(room);
    }
    if (entry.file) batches[batch]!.add.push(entry.file);
    else batches[batch]!.remove.push(entry.remove!);
    open.put(batch, room - entry.cost);
  }
  return { batches, oversized };
}

/** Open batches by the bytes they have left, with a bitmap of non-empty rooms for a fast best-fit search. */
class OpenBatches {
  private readonly byRoom: number[][];
  private readonly occupied: Uint32Array;

  constructor(budget: number) {
    this.byRoom = Array.from({ length: budget + 1 }, () => []);
    this.occupied = new Uint32Array((budget >> 5) + 1);
  }

  /** The smallest room ≥ `need` that some batch has, or -1. */
  smallestRoomAtLeast(need: number): number {
    const words = this.occupied;
    let w = need >> 5;
    let bits = words[w]! & (~0 << (need & 31));
    while (bits === 0) {
      if (++w >= words.length) return -1;
      bits = words[w]!;
    }
    return (w << 5) + 31 - Math.clz32(bits & -bits);
  }

  take(room: number): number {
    const list = this.byRoom[room]!;
    const batch = list.pop()!;
    if (list.length === 0) this.occupied[room >> 5]! &= ~(1 << (room & 31));
    return batch;
  }

  put(batch: number, room: number): void {
    this.byRoom[room]!.push(batch);
    this.occupied[room >> 5]! |= 1 << (room & 31);
  }
}
