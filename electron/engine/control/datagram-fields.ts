import type { DropReason } from '../../../shared/protocol/datagram.js';
import { MAX_FILE_SIZE } from '../../../shared/protocol/limits.js';
import { unsafePathReason } from '../../../shared/protocol/path.js';

/**
 * Field readers and writers shared by the body codecs. Readers assume the caller checked that
 * the bytes are there; they validate values and report a drop, never throw. Writers throw on
 * a programmer mistake (a field that does not fit its slot), since a sender builds its own
 * bodies.
 */

export type DatagramDrop = { drop: DropReason; detail?: string };

export function drop(reason: DropReason, detail?: string): DatagramDrop {
  return detail === undefined ? { drop: reason } : { drop: reason, detail };
}

export function isDrop<T extends object>(value: T | DatagramDrop): value is DatagramDrop {
  return 'drop' in value;
}

const HASH_HEX = /^[0-9a-f]{64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// ignoreBOM: a leading U+FEFF is part of the name, not something to strip.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Size travels as u64; anything above MAX_FILE_SIZE is refused. Returns -1 for a bad size. */
export function readSize(buf: Buffer, at: number): number {
  const high = buf.readUInt32BE(at);
  const size = high * 2 ** 32 + buf.readUInt32BE(at + 4);
  return size <= MAX_FILE_SIZE ? size : -1;
}

export function writeSize(buf: Buffer, at: number, size: number): void {
  if (!Number.isInteger(size) || size < 0 || size > MAX_FILE_SIZE) throw new RangeError(`file size ${size} is out of range`);
  buf.writeUInt32BE(Math.floor(size / 2 ** 32), at);
  buf.writeUInt32BE(size >>> 0, at + 4);
}

/** Strict UTF-8 (no replacement characters), or undefined. */
export function readUtf8(buf: Buffer, at: number, length: number): string | undefined {
  try {
    return strictUtf8.decode(buf.subarray(at, at + length));
  } catch {
    return undefined;
  }
}

/** A shared path, decoded and checked against the path rules (docs/PROTOCOL.md §15). */
export function readPath(buf: Buffer, at: number, length: number): string | DatagramDrop {
  const path = readUtf8(buf, at, length);
  if (path === undefined) return drop('bad_field', 'path is not UTF-8');
  const reason = unsafePathReason(path);
  return reason === null ? path : drop('bad_field', `unsafe path: ${reason}`);
}

/** Free text shown to people (error messages): UTF-8 without control characters. */
export function readText(buf: Buffer, at: number, length: number): string | undefined {
  const text = readUtf8(buf, at, length);
  return text === undefined || CONTROL_CHARS.test(text) ? undefined : text;
}

export function writePeerId(buf: Buffer, at: number, peerId: string): void {
  // Hex decoding stops at the first non-hex digit, so 16 bytes written means 32 hex digits (no regex per listed peer).
  if (peerId.length !== 32 || buf.write(peerId, at, 16, 'hex') !== 16) throw new RangeError('a peer id is 32 hex digits');
}

export function writeHash(buf: Buffer, at: number, hash: string): void {
  if (!HASH_HEX.test(hash)) throw new RangeError('a content hash is 64 lower-case hex digits');
  buf.write(hash, at, 32, 'hex');
}

export function writeBytes(buf: Buffer, at: number, bytes: Buffer, length: number, name: string): void {
  if (bytes.length !== length) throw new RangeError(`${name} is ${length} bytes, not ${bytes.length}`);
  bytes.copy(buf, at);
}

export function checkUint(value: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} ${value} is out of range 0…${max}`);
  return value;
}

export function hex(buf: Buffer, at: number, length: number): string {
  return buf.toString('hex', at, at + length);
}

/** peerId(16) token(8) seq(4): how a joined peer names itself in every later datagram. */
export type PeerRef = { peerId: string; token: Buffer; seq: number };

/** Reads the peer ref at the start of `body` (the caller checked PEER_REF_BYTES are there). */
export function readPeerRef(body: Buffer): PeerRef | DatagramDrop {
  const seq = body.readUInt32BE(24);
  if (seq === 0) return drop('bad_field', 'seq 0');
  return { peerId: hex(body, 0, 16), token: body.subarray(16, 24), seq };
}

export function writePeerRef(body: Buffer, ref: PeerRef): void {
  writePeerId(body, 0, ref.peerId);
  writeBytes(body, 16, ref.token, 8, 'token');
  if (checkUint(ref.seq, 0xffffffff, 'seq') === 0) throw new RangeError('seq starts at 1');
  body.writeUInt32BE(ref.seq, 24);
}
