import type net from 'node:net';
import { PREFACE_BYTES, PREFACE_MAGIC, PREFACE_RELAY, PREFACE_REVERSE, ROLE_REQUESTER, ROLE_TARGET, SESSION_BYTES } from '../../../shared/protocol/datagram.js';

/** What a rendezvous connection says before TLS (shared/protocol/datagram.ts, docs/PROTOCOL.md §20.2). */
export interface Preface {
  kind: typeof PREFACE_REVERSE | typeof PREFACE_RELAY;
  session: Buffer;
  role: typeof ROLE_REQUESTER | typeof ROLE_TARGET;
}

/** Handed a socket whose preface was read; the bytes after it are still unread in the socket. */
export type PrefaceHandler = (socket: net.Socket, preface: Preface) => void;

export function encodePreface(preface: Preface): Buffer {
  const out = Buffer.alloc(PREFACE_BYTES);
  PREFACE_MAGIC.copy(out, 0);
  out[3] = preface.kind;
  preface.session.copy(out, 4, 0, SESSION_BYTES);
  out[4 + SESSION_BYTES] = preface.role;
  return out;
}

/** The first byte of a preface; TLS starts with 0x16 and an open-mode frame with 0x00. */
const FIRST = PREFACE_MAGIC[0]!;

/**
 * Reads just enough of a new socket to tell a rendezvous preface from TLS or a frame, then puts
 * every byte back. `plain` gets anything else; `preface` the parsed preface; a malformed one, or
 * a socket that closes first, is destroyed. The caller's handshake deadline bounds the wait.
 */
export function sniffPreface(socket: net.Socket, plain: (socket: net.Socket) => void, preface: PrefaceHandler): void {
  let held: Buffer = Buffer.alloc(0);
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) held = held.length ? Buffer.concat([held, chunk]) : chunk;
    if (held.length === 0) return;
    if (held[0] !== FIRST) return finish(() => plain(socket), held);
    if (held.length < PREFACE_BYTES) {
      // A preface is 21 bytes in one segment in practice; a trickle is bounded by the handshake deadline.
      if (!PREFACE_MAGIC.subarray(0, Math.min(3, held.length)).equals(held.subarray(0, Math.min(3, held.length)))) return finish(() => plain(socket), held);
      return;
    }
    const parsed = parsePreface(held);
    if (!parsed) return finish(() => plain(socket), held);
    finish(() => preface(socket, parsed), held.subarray(PREFACE_BYTES));
  };
  const finish = (next: () => void, rest: Buffer): void => {
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    if (rest.length) socket.unshift(rest);
    next();
  };
  const onEnd = (): void => {
    socket.off('readable', onReadable);
    socket.destroy();
  };
  socket.on('readable', onReadable);
  socket.once('end', onEnd);
}

export function parsePreface(bytes: Buffer): Preface | undefined {
  if (bytes.length < PREFACE_BYTES || !bytes.subarray(0, 3).equals(PREFACE_MAGIC)) return undefined;
  const kind = bytes[3];
  const role = bytes[4 + SESSION_BYTES];
  if (kind !== PREFACE_REVERSE && kind !== PREFACE_RELAY) return undefined;
  if (role !== ROLE_REQUESTER && role !== ROLE_TARGET) return undefined;
  return { kind, session: Buffer.from(bytes.subarray(4, 4 + SESSION_BYTES)), role };
}
