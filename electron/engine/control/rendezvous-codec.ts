import {
  CONNECT_BODY_BYTES,
  CONNECTING_BODY_BYTES,
  ConnectMethod,
  DATAGRAM_STATUS,
  DatagramType,
  PEER_ID_BYTES,
  PEER_REF_BYTES,
  PUNCH_HELLO_BODY_BYTES,
  PUNCH_PEER_BODY_BYTES,
  REACH_BODY_BYTES,
  REACH_REACHABLE,
  REACH_UNREACHABLE,
  RELAY_OPEN_BODY_BYTES,
  RING_BODY_BYTES,
  ROLE_REQUESTER,
  ROLE_TARGET,
  SESSION_BYTES,
  type ConnectMethodNumber,
  type DatagramStatus,
} from '../../../shared/protocol/datagram.js';
import { checkUint, drop, hex, isDrop, readPeerRef, writeBytes, writePeerId, writePeerRef, type DatagramDrop, type PeerRef } from './datagram-fields.js';
import { isUnspecifiedIp, readIp, writeIp } from './ip-address.js';

/**
 * The rendezvous bodies (docs/PROTOCOL.md §20), decoded as strictly as the rest of the codec:
 * exact lengths, known methods and roles, no zero ports; a drop, never a throw.
 */

type T = typeof DatagramType;
export type Role = typeof ROLE_REQUESTER | typeof ROLE_TARGET;
export type ConnectBody = PeerRef & { type: T['CONNECT']; target: string; method: ConnectMethodNumber; requestNonce: Buffer };
/** `relayHost` '::' is the tracker's own address; otherwise a member that relays (§20.6). */
export type ConnectingBody = { type: T['CONNECTING']; seq: number; status: DatagramStatus; method: ConnectMethodNumber; session: Buffer; relayPort: number; relayHost: string };
/** `host`/`port`: REVERSE: the requester's TCP address; RELAY: the relay's (host '::' = the tracker's own address); PUNCH: unused. */
export type RingBody = { type: T['RING']; from: string; method: ConnectMethodNumber; session: Buffer; host: string; port: number };
export type PunchHelloBody = { type: T['PUNCH_HELLO']; session: Buffer; role: Role };
export type PunchPeerBody = { type: T['PUNCH_PEER']; session: Buffer; host: string; port: number };
/** The tracker's dial-back (AutoNAT): whether `host:port`, our listed TCP address, answered as us. */
export type ReachBody = { type: T['REACH']; reachable: boolean; host: string; port: number };
/** Tracker → a member that offers to relay: expect two connections naming `session`, from these two members. */
export type RelayOpenBody = { type: T['RELAY_OPEN']; session: Buffer; requester: string; target: string };
export type RendezvousBody = ConnectBody | ConnectingBody | RingBody | PunchHelloBody | PunchPeerBody | ReachBody | RelayOpenBody;

const METHODS = new Set<number>(Object.values(ConnectMethod));
const STATUS_INDEX = new Map<string, number>(DATAGRAM_STATUS.map((status, i) => [status, i]));

export function isRendezvousType(type: number): boolean {
  return (
    type === DatagramType.CONNECT || type === DatagramType.CONNECTING || type === DatagramType.RING || type === DatagramType.PUNCH_HELLO || type === DatagramType.PUNCH_PEER || type === DatagramType.REACH ||
    type === DatagramType.RELAY_OPEN
  );
}

export function decodeRendezvous(type: number, body: Buffer): RendezvousBody | DatagramDrop {
  switch (type) {
    case DatagramType.CONNECT: {
      const ref = exact(body, CONNECT_BODY_BYTES) ?? readPeerRef(body);
      if (isDrop(ref)) return ref;
      const method = body[PEER_REF_BYTES + PEER_ID_BYTES]!;
      if (!METHODS.has(method)) return drop('bad_field', 'unknown connect method');
      const target = hex(body, PEER_REF_BYTES, PEER_ID_BYTES);
      if (target === ref.peerId) return drop('bad_field', 'a peer cannot connect to itself');
      return { type, ...ref, target, method: method as ConnectMethodNumber, requestNonce: body.subarray(PEER_REF_BYTES + PEER_ID_BYTES + 1) };
    }
    case DatagramType.CONNECTING: {
      const bad = exact(body, CONNECTING_BODY_BYTES);
      if (bad) return bad;
      const seq = body.readUInt32BE(0);
      const status = DATAGRAM_STATUS[body[4]!];
      const method = body[5]!;
      if (seq === 0) return drop('bad_field', 'seq 0');
      if (status === undefined) return drop('bad_field', 'unknown status');
      if (!METHODS.has(method)) return drop('bad_field', 'unknown connect method');
      return { type, seq, status, method: method as ConnectMethodNumber, session: body.subarray(6, 6 + SESSION_BYTES), relayPort: body.readUInt16BE(22), relayHost: readIp(body, 24) };
    }
    case DatagramType.RING: {
      const bad = exact(body, RING_BODY_BYTES);
      if (bad) return bad;
      const method = body[PEER_ID_BYTES]!;
      if (!METHODS.has(method)) return drop('bad_field', 'unknown connect method');
      const ipAt = PEER_ID_BYTES + 1 + SESSION_BYTES;
      const port = body.readUInt16BE(ipAt + 16);
      if (method !== ConnectMethod.PUNCH && port === 0) return drop('bad_field', 'port 0');
      if (method === ConnectMethod.REVERSE && isUnspecifiedIp(body, ipAt)) return drop('bad_field', 'reverse to ::');
      return { type, from: hex(body, 0, PEER_ID_BYTES), method: method as ConnectMethodNumber, session: body.subarray(PEER_ID_BYTES + 1, ipAt), host: readIp(body, ipAt), port };
    }
    case DatagramType.PUNCH_HELLO: {
      const bad = exact(body, PUNCH_HELLO_BODY_BYTES);
      if (bad) return bad;
      const role = body[SESSION_BYTES]!;
      if (role !== ROLE_REQUESTER && role !== ROLE_TARGET) return drop('bad_field', 'unknown role');
      for (let i = SESSION_BYTES + 1; i < body.length; i++) if (body[i] !== 0) return drop('bad_field', 'PUNCH_HELLO padding must be zero');
      return { type, session: body.subarray(0, SESSION_BYTES), role };
    }
    case DatagramType.PUNCH_PEER: {
      const bad = exact(body, PUNCH_PEER_BODY_BYTES);
      if (bad) return bad;
      const port = body.readUInt16BE(SESSION_BYTES + 16);
      if (port === 0 || isUnspecifiedIp(body, SESSION_BYTES)) return drop('bad_field', 'peer mapping');
      return { type, session: body.subarray(0, SESSION_BYTES), host: readIp(body, SESSION_BYTES), port };
    }
    case DatagramType.RELAY_OPEN: {
      const bad = exact(body, RELAY_OPEN_BODY_BYTES);
      if (bad) return bad;
      const requester = hex(body, SESSION_BYTES, PEER_ID_BYTES);
      const target = hex(body, SESSION_BYTES + PEER_ID_BYTES, PEER_ID_BYTES);
      if (requester === target) return drop('bad_field', 'a relay joins two different members');
      return { type, session: body.subarray(0, SESSION_BYTES), requester, target };
    }
    case DatagramType.REACH: {
      const bad = exact(body, REACH_BODY_BYTES);
      if (bad) return bad;
      const result = body[0];
      if (result !== REACH_REACHABLE && result !== REACH_UNREACHABLE) return drop('bad_field', 'unknown reach result');
      const port = body.readUInt16BE(1 + 16);
      if (port === 0 || isUnspecifiedIp(body, 1)) return drop('bad_field', 'dialled address');
      return { type, reachable: result === REACH_REACHABLE, host: readIp(body, 1), port };
    }
    default:
      return drop('bad_type');
  }
}

export function encodeRendezvous(msg: RendezvousBody): Buffer {
  switch (msg.type) {
    case DatagramType.CONNECT: {
      const body = Buffer.allocUnsafe(CONNECT_BODY_BYTES);
      writePeerRef(body, msg);
      writePeerId(body, PEER_REF_BYTES, msg.target);
      body[PEER_REF_BYTES + PEER_ID_BYTES] = msg.method;
      writeBytes(body, PEER_REF_BYTES + PEER_ID_BYTES + 1, msg.requestNonce, SESSION_BYTES, 'requestNonce');
      return body;
    }
    case DatagramType.CONNECTING: {
      const body = Buffer.allocUnsafe(CONNECTING_BODY_BYTES);
      body.writeUInt32BE(checkUint(msg.seq, 0xffffffff, 'seq'), 0);
      const status = STATUS_INDEX.get(msg.status);
      if (status === undefined) throw new RangeError(`unknown status ${msg.status}`);
      body[4] = status;
      body[5] = msg.method;
      writeBytes(body, 6, msg.session, SESSION_BYTES, 'session');
      body.writeUInt16BE(checkUint(msg.relayPort, 0xffff, 'relayPort'), 22);
      if (!writeIp(msg.relayHost, body, 24)) throw new RangeError(`${msg.relayHost} is not an IP address`);
      return body;
    }
    case DatagramType.RING: {
      const body = Buffer.allocUnsafe(RING_BODY_BYTES);
      writePeerId(body, 0, msg.from);
      body[PEER_ID_BYTES] = msg.method;
      writeBytes(body, PEER_ID_BYTES + 1, msg.session, SESSION_BYTES, 'session');
      const ipAt = PEER_ID_BYTES + 1 + SESSION_BYTES;
      if (!writeIp(msg.host, body, ipAt)) throw new RangeError(`${msg.host} is not an IP address`);
      body.writeUInt16BE(checkUint(msg.port, 0xffff, 'port'), ipAt + 16);
      return body;
    }
    case DatagramType.PUNCH_HELLO: {
      const body = Buffer.alloc(PUNCH_HELLO_BODY_BYTES);
      writeBytes(body, 0, msg.session, SESSION_BYTES, 'session');
      body[SESSION_BYTES] = msg.role;
      return body;
    }
    case DatagramType.REACH: {
      const body = Buffer.allocUnsafe(REACH_BODY_BYTES);
      body[0] = msg.reachable ? REACH_REACHABLE : REACH_UNREACHABLE;
      if (!writeIp(msg.host, body, 1)) throw new RangeError(`${msg.host} is not an IP address`);
      body.writeUInt16BE(checkUint(msg.port, 0xffff, 'port'), 17);
      return body;
    }
    case DatagramType.RELAY_OPEN: {
      const body = Buffer.allocUnsafe(RELAY_OPEN_BODY_BYTES);
      writeBytes(body, 0, msg.session, SESSION_BYTES, 'session');
      writePeerId(body, SESSION_BYTES, msg.requester);
      writePeerId(body, SESSION_BYTES + PEER_ID_BYTES, msg.target);
      return body;
    }
    case DatagramType.PUNCH_PEER: {
      const body = Buffer.allocUnsafe(PUNCH_PEER_BODY_BYTES);
      writeBytes(body, 0, msg.session, SESSION_BYTES, 'session');
      if (!writeIp(msg.host, body, SESSION_BYTES)) throw new RangeError(`${msg.host} is not an IP address`);
      body.writeUInt16BE(checkUint(msg.port, 0xffff, 'port'), SESSION_BYTES + 16);
      return body;
    }
  }
}

function exact(body: Buffer, length: number): DatagramDrop | undefined {
  if (body.length === length) return undefined;
  return drop(body.length < length ? 'truncated' : 'bad_length');
}
