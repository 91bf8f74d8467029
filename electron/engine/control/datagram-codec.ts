import {
  ACK_BODY_BYTES,
  CLIENT_NONCE_BYTES,
  COOKIE_BODY_BYTES,
  COOKIE_BYTES,
  DATAGRAM_STATUS,
  DatagramType,
  ERROR_FIXED_BYTES,
  HASH_BYTES,
  INIT_BODY_BYTES,
  IP_BYTES,
  JOIN_BODY_BYTES,
  JOIN_FLAG_RELAY,
  LOOKUP_BODY_BYTES,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_INTERVAL_MS,
  MAX_PEERS_PER_DATAGRAM,
  MIN_WIRE_INTERVAL_MS,
  PEER_ENTRY_BYTES,
  PEER_ID_BYTES,
  PEER_REF_BYTES,
  PEERS_FIXED_BYTES,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  TOKEN_BYTES,
  WELCOME_BODY_BYTES,
  type DatagramStatus,
} from '../../../shared/protocol/datagram.js';
import type { PeerAddress } from '../../../shared/protocol/messages.js';
import { decodeAnnounce, encodeAnnounce, type AnnounceBody } from './announce-codec.js';
import { checkUint, drop, hex, isDrop, readPeerRef, readSize, readText, writeBytes, writeHash, writePeerId, writePeerRef, writeSize, type DatagramDrop, type PeerRef } from './datagram-fields.js';
import type { DatagramSeal } from './datagram-seal.js';
import { isUnspecifiedIp, readIp, writeIp } from './ip-address.js';
import { decodeRendezvous, encodeRendezvous, isRendezvousType, type RendezvousBody } from './rendezvous-codec.js';
import { decodeCertificateBody, decodeRevoked, encodeCertificateBody, encodeRevoked, type CertificateBody, type RevokedBody } from './membership-codec.js';

/**
 * Every v2 body type, both ways. Decoding checks the exact length for the type, then every
 * field, and returns a typed body or a drop; it never throws. Ids and hashes come out as hex
 * (as the rest of the engine keys on them), nonces, cookies, tokens, keys and signatures as
 * Buffer views into the body (no copies). Layouts: docs/PROTOCOL.md, shared/protocol/datagram.ts.
 */

export type { AnnounceBody } from './announce-codec.js';
export type { ConnectBody, ConnectingBody, PunchHelloBody, PunchPeerBody, ReachBody, RelayOpenBody, RendezvousBody, RingBody } from './rendezvous-codec.js';
export type { DatagramDrop, PeerRef } from './datagram-fields.js';
export type { CertificateBody, RevokedBody } from './membership-codec.js';
export { isDrop } from './datagram-fields.js';

type T = typeof DatagramType;
export type InitBody = { type: T['INIT']; clientNonce: Buffer };
export type CookieBody = { type: T['COOKIE']; clientNonce: Buffer; cookie: Buffer; trackerTime: number };
/** `offersRelay` travels as the header flag JOIN_FLAG_RELAY (authenticated by the seal, outside the signature). */
export type JoinBody = { type: T['JOIN']; cookie: Buffer; clientNonce: Buffer; peerId: string; listenPort: number; publicKey: Buffer; signature: Buffer; offersRelay: boolean };
export type WelcomeBody = {
  type: T['WELCOME'];
  clientNonce: Buffer;
  token: Buffer;
  intervalMs: number;
  observedHost: string;
  observedPort: number;
  generation: number;
  peersOnline: number;
  trackerPeerId: string;
  trackerKey: Buffer;
  trackerSignature: Buffer;
};
export type AckBody = { type: T['ACK']; seq: number; intervalMs: number; generation: number; peersOnline: number; status: DatagramStatus };
export type HeartbeatBody = PeerRef & { type: T['HEARTBEAT'] };
export type LeaveBody = PeerRef & { type: T['LEAVE'] };
export type LookupBody = PeerRef & { type: T['LOOKUP']; hash: string };
export type PeersBody = { type: T['PEERS']; seq: number; hash: string; size: number; peers: PeerAddress[] };
/** `ref`: the seq of the request, or the low 4 bytes of its clientNonce (INIT, JOIN). */
export type ErrorBody = { type: T['ERROR']; ref: number; code: Exclude<DatagramStatus, 'ok'>; message: string };

export type DatagramBody = InitBody | CookieBody | JoinBody | WelcomeBody | AnnounceBody | AckBody | HeartbeatBody | LeaveBody | LookupBody | PeersBody | ErrorBody | RendezvousBody | RevokedBody | CertificateBody;

/** Lays out `msg` as a body and the header flags it needs. Throws on a field that does not fit (a programmer mistake). */
export function encodeBody(msg: DatagramBody): { type: number; flags: number; body: Buffer } {
  if (msg.type === DatagramType.ANNOUNCE) return { type: msg.type, ...encodeAnnounce(msg) };
  if (isRendezvousType(msg.type)) return { type: msg.type, flags: 0, body: encodeRendezvous(msg as RendezvousBody) };
  if (msg.type === DatagramType.REVOKED) return { type: msg.type, flags: 0, body: encodeRevoked(msg) };
  if (msg.type === DatagramType.CERTIFICATE) return { type: msg.type, flags: 0, body: encodeCertificateBody(msg) };
  const flags = msg.type === DatagramType.JOIN && msg.offersRelay ? JOIN_FLAG_RELAY : 0;
  return { type: msg.type, flags, body: encodeFixed(msg as Exclude<DatagramBody, AnnounceBody | RendezvousBody | RevokedBody | CertificateBody>) };
}

/** Validates and decodes a body that DatagramSeal.open returned. */
export function decodeBody(type: number, flags: number, body: Buffer): DatagramBody | DatagramDrop {
  if (type === DatagramType.ANNOUNCE) return decodeAnnounce(flags, body);
  if (type === DatagramType.JOIN) {
    if ((flags & ~JOIN_FLAG_RELAY) !== 0) return drop('bad_field', 'unknown JOIN flags');
    const join = exact(body, JOIN_BODY_BYTES) ?? decodeJoin(body);
    return isDrop(join) ? join : { ...join, offersRelay: (flags & JOIN_FLAG_RELAY) !== 0 };
  }
  if (flags !== 0) return drop('bad_field', 'flags must be 0');
  if (isRendezvousType(type)) return decodeRendezvous(type, body);
  if (type === DatagramType.REVOKED) return decodeRevoked(body);
  if (type === DatagramType.CERTIFICATE) return decodeCertificateBody(body);
  switch (type) {
    case DatagramType.INIT:
      return exact(body, INIT_BODY_BYTES) ?? decodeInit(body);
    case DatagramType.COOKIE:
      return exact(body, COOKIE_BODY_BYTES) ?? { type, clientNonce: body.subarray(0, 8), cookie: body.subarray(8, 16), trackerTime: body.readUInt32BE(16) };
    case DatagramType.WELCOME:
      return exact(body, WELCOME_BODY_BYTES) ?? decodeWelcome(body);
    case DatagramType.ACK:
      return exact(body, ACK_BODY_BYTES) ?? decodeAck(body);
    case DatagramType.HEARTBEAT:
    case DatagramType.LEAVE:
      return exact(body, PEER_REF_BYTES) ?? withType(type, readPeerRef(body));
    case DatagramType.LOOKUP: {
      const ref = exact(body, LOOKUP_BODY_BYTES) ?? readPeerRef(body);
      return isDrop(ref) ? ref : { type, ...ref, hash: hex(body, PEER_REF_BYTES, HASH_BYTES) };
    }
    case DatagramType.PEERS:
      return decodePeers(body);
    case DatagramType.ERROR:
      return decodeError(body);
    default:
      return drop('bad_type');
  }
}

/** Encodes and seals in one step. */
export function sealBody(seal: DatagramSeal, msg: DatagramBody): Buffer {
  const { type, flags, body } = encodeBody(msg);
  return seal.seal(type, flags, body);
}

/** Opens and decodes in one step. */
export function openBody(seal: DatagramSeal, datagram: Buffer): DatagramBody | DatagramDrop {
  const opened = seal.open(datagram);
  return isDrop(opened) ? opened : decodeBody(opened.type, opened.flags, opened.body);
}

function exact(body: Buffer, length: number): DatagramDrop | undefined {
  if (body.length === length) return undefined;
  return drop(body.length < length ? 'truncated' : 'bad_length');
}

function withType<K extends T['HEARTBEAT'] | T['LEAVE']>(type: K, ref: PeerRef | DatagramDrop): (PeerRef & { type: K }) | DatagramDrop {
  return isDrop(ref) ? ref : { type, ...ref };
}

function validInterval(ms: number): boolean {
  return ms >= MIN_WIRE_INTERVAL_MS && ms <= MAX_INTERVAL_MS;
}

function decodeInit(body: Buffer): InitBody | DatagramDrop {
  for (let i = CLIENT_NONCE_BYTES; i < body.length; i++) if (body[i] !== 0) return drop('bad_field', 'INIT padding must be zero');
  return { type: DatagramType.INIT, clientNonce: body.subarray(0, CLIENT_NONCE_BYTES) };
}

function decodeJoin(body: Buffer): JoinBody {
  return {
    type: DatagramType.JOIN,
    offersRelay: false,
    cookie: body.subarray(0, 8),
    clientNonce: body.subarray(8, 16),
    peerId: hex(body, 16, PEER_ID_BYTES),
    listenPort: body.readUInt16BE(32),
    publicKey: body.subarray(34, 66),
    signature: body.subarray(66, 130),
  };
}

function decodeWelcome(body: Buffer): WelcomeBody | DatagramDrop {
  const intervalMs = body.readUInt32BE(16);
  if (!validInterval(intervalMs)) return drop('bad_field', 'interval out of range');
  if (isUnspecifiedIp(body, 20)) return drop('bad_field', 'observed address is ::');
  const observedPort = body.readUInt16BE(36);
  if (observedPort === 0) return drop('bad_field', 'observed port 0');
  return {
    type: DatagramType.WELCOME,
    clientNonce: body.subarray(0, 8),
    token: body.subarray(8, 16),
    intervalMs,
    observedHost: readIp(body, 20),
    observedPort,
    generation: body.readUInt32BE(38),
    peersOnline: body.readUInt32BE(42),
    trackerPeerId: hex(body, 46, PEER_ID_BYTES),
    trackerKey: body.subarray(62, 94),
    trackerSignature: body.subarray(94, 158),
  };
}

function decodeAck(body: Buffer): AckBody | DatagramDrop {
  const seq = body.readUInt32BE(0);
  const intervalMs = body.readUInt32BE(4);
  const status = DATAGRAM_STATUS[body[16]!];
  if (seq === 0) return drop('bad_field', 'seq 0');
  if (!validInterval(intervalMs)) return drop('bad_field', 'interval out of range');
  if (status === undefined) return drop('bad_field', 'unknown status');
  return { type: DatagramType.ACK, seq, intervalMs, generation: body.readUInt32BE(8), peersOnline: body.readUInt32BE(12), status };
}

function decodePeers(body: Buffer): PeersBody | DatagramDrop {
  if (body.length < PEERS_FIXED_BYTES) return drop('truncated');
  const count = body[PEERS_FIXED_BYTES - 1]!;
  if (count > MAX_PEERS_PER_DATAGRAM) return drop('bad_field', 'too many peers');
  const bad = exact(body, PEERS_FIXED_BYTES + count * PEER_ENTRY_BYTES);
  if (bad) return bad;
  const seq = body.readUInt32BE(0);
  const size = readSize(body, 36);
  if (seq === 0) return drop('bad_field', 'seq 0');
  if (size < 0) return drop('bad_field', 'file size out of range');
  const peers: PeerAddress[] = [];
  for (let at = PEERS_FIXED_BYTES; at < body.length; at += PEER_ENTRY_BYTES) {
    const ipAt = at + PEER_ID_BYTES;
    const port = body.readUInt16BE(ipAt + IP_BYTES);
    if (port === 0 || isUnspecifiedIp(body, ipAt)) return drop('bad_field', 'peer address');
    peers.push({ peerId: hex(body, at, PEER_ID_BYTES), host: readIp(body, ipAt), port });
  }
  return { type: DatagramType.PEERS, seq, hash: hex(body, 4, HASH_BYTES), size, peers };
}

function decodeError(body: Buffer): ErrorBody | DatagramDrop {
  if (body.length < ERROR_FIXED_BYTES) return drop('truncated');
  const length = body[5]!;
  if (length > MAX_ERROR_MESSAGE_BYTES) return drop('bad_field', 'error message too long');
  const bad = exact(body, ERROR_FIXED_BYTES + length);
  if (bad) return bad;
  const code = DATAGRAM_STATUS[body[4]!];
  if (code === undefined || code === 'ok') return drop('bad_field', 'unknown error code');
  const message = readText(body, ERROR_FIXED_BYTES, length);
  if (message === undefined) return drop('bad_field', 'error message is not plain UTF-8 text');
  return { type: DatagramType.ERROR, ref: body.readUInt32BE(0), code, message };
}

const STATUS_INDEX = new Map<string, number>(DATAGRAM_STATUS.map((status, i) => [status, i]));

function encodeFixed(msg: Exclude<DatagramBody, AnnounceBody | RendezvousBody | RevokedBody | CertificateBody>): Buffer {
  switch (msg.type) {
    case DatagramType.INIT: {
      const body = Buffer.alloc(INIT_BODY_BYTES);
      writeBytes(body, 0, msg.clientNonce, CLIENT_NONCE_BYTES, 'clientNonce');
      return body;
    }
    case DatagramType.COOKIE: {
      const body = Buffer.allocUnsafe(COOKIE_BODY_BYTES);
      writeBytes(body, 0, msg.clientNonce, CLIENT_NONCE_BYTES, 'clientNonce');
      writeBytes(body, 8, msg.cookie, COOKIE_BYTES, 'cookie');
      body.writeUInt32BE(checkUint(msg.trackerTime, 0xffffffff, 'trackerTime'), 16);
      return body;
    }
    case DatagramType.JOIN: {
      const body = Buffer.allocUnsafe(JOIN_BODY_BYTES);
      writeBytes(body, 0, msg.cookie, COOKIE_BYTES, 'cookie');
      writeBytes(body, 8, msg.clientNonce, CLIENT_NONCE_BYTES, 'clientNonce');
      writePeerId(body, 16, msg.peerId);
      body.writeUInt16BE(checkUint(msg.listenPort, 0xffff, 'listenPort'), 32);
      writeBytes(body, 34, msg.publicKey, PUBLIC_KEY_BYTES, 'publicKey');
      writeBytes(body, 66, msg.signature, SIGNATURE_BYTES, 'signature');
      return body;
    }
    case DatagramType.WELCOME: {
      const body = Buffer.allocUnsafe(WELCOME_BODY_BYTES);
      writeBytes(body, 0, msg.clientNonce, CLIENT_NONCE_BYTES, 'clientNonce');
      writeBytes(body, 8, msg.token, TOKEN_BYTES, 'token');
      body.writeUInt32BE(checkInterval(msg.intervalMs), 16);
      if (!writeIp(msg.observedHost, body, 20)) throw new RangeError(`${msg.observedHost} is not an IP address`);
      body.writeUInt16BE(checkUint(msg.observedPort, 0xffff, 'observedPort'), 36);
      body.writeUInt32BE(checkUint(msg.generation, 0xffffffff, 'generation'), 38);
      body.writeUInt32BE(checkUint(msg.peersOnline, 0xffffffff, 'peersOnline'), 42);
      writePeerId(body, 46, msg.trackerPeerId);
      writeBytes(body, 62, msg.trackerKey, PUBLIC_KEY_BYTES, 'trackerKey');
      writeBytes(body, 94, msg.trackerSignature, SIGNATURE_BYTES, 'trackerSignature');
      return body;
    }
    case DatagramType.ACK: {
      const body = Buffer.allocUnsafe(ACK_BODY_BYTES);
      body.writeUInt32BE(checkUint(msg.seq, 0xffffffff, 'seq'), 0);
      body.writeUInt32BE(checkInterval(msg.intervalMs), 4);
      body.writeUInt32BE(checkUint(msg.generation, 0xffffffff, 'generation'), 8);
      body.writeUInt32BE(checkUint(msg.peersOnline, 0xffffffff, 'peersOnline'), 12);
      body[16] = statusIndex(msg.status);
      return body;
    }
    case DatagramType.HEARTBEAT:
    case DatagramType.LEAVE: {
      const body = Buffer.allocUnsafe(PEER_REF_BYTES);
      writePeerRef(body, msg);
      return body;
    }
    case DatagramType.LOOKUP: {
      const body = Buffer.allocUnsafe(LOOKUP_BODY_BYTES);
      writePeerRef(body, msg);
      writeHash(body, PEER_REF_BYTES, msg.hash);
      return body;
    }
    case DatagramType.PEERS:
      return encodePeers(msg);
    case DatagramType.ERROR: {
      const text = Buffer.from(msg.message, 'utf8');
      if (text.length > MAX_ERROR_MESSAGE_BYTES) throw new RangeError(`an error message is at most ${MAX_ERROR_MESSAGE_BYTES} bytes`);
      const body = Buffer.allocUnsafe(ERROR_FIXED_BYTES + text.length);
      body.writeUInt32BE(checkUint(msg.ref, 0xffffffff, 'ref'), 0);
      body[4] = statusIndex(msg.code);
      body[5] = text.length;
      text.copy(body, ERROR_FIXED_BYTES);
      return body;
    }
  }
}

function encodePeers(msg: PeersBody): Buffer {
  if (msg.peers.length > MAX_PEERS_PER_DATAGRAM) throw new RangeError(`at most ${MAX_PEERS_PER_DATAGRAM} peers per datagram`);
  const body = Buffer.allocUnsafe(PEERS_FIXED_BYTES + msg.peers.length * PEER_ENTRY_BYTES);
  body.writeUInt32BE(checkUint(msg.seq, 0xffffffff, 'seq'), 0);
  writeHash(body, 4, msg.hash);
  writeSize(body, 36, msg.size);
  body[44] = msg.peers.length;
  let at = PEERS_FIXED_BYTES;
  for (const peer of msg.peers) {
    writePeerId(body, at, peer.peerId);
    if (!writeIp(peer.host, body, at + PEER_ID_BYTES)) throw new RangeError(`${peer.host} is not an IP address`);
    body.writeUInt16BE(checkUint(peer.port, 0xffff, 'port'), at + PEER_ID_BYTES + IP_BYTES);
    at += PEER_ENTRY_BYTES;
  }
  return body;
}

function checkInterval(ms: number): number {
  if (!Number.isInteger(ms) || !validInterval(ms)) throw new RangeError(`interval ${ms} ms is outside ${MIN_WIRE_INTERVAL_MS}…${MAX_INTERVAL_MS}`);
  return ms;
}

function statusIndex(status: string): number {
  const index = STATUS_INDEX.get(status);
  if (index === undefined) throw new RangeError(`unknown status ${status}`);
  return index;
}
