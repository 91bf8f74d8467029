import type { WireErrorCode } from './errors.js';

/**
 * Protocol v2's control plane: the UDP datagram layout, shared by the tracker,
 * the client and the tests. docs/PROTOCOL.md quotes these values.
 */

export const DATAGRAM_VERSION = 2;
/** Mode byte: 'S', every body sealed under the network key. */
export const MODE_SEALED = 0x53;
/** Mode byte: 'O', open mode: plaintext bodies, address-validated only. */
export const MODE_OPEN = 0x4f;

/** Never IP-fragmented: fits IPv6's 1280-byte minimum MTU with room for the IP and UDP headers. */
export const MAX_DATAGRAM_BYTES = 1200;
/** version(1) mode(1) type(1) flags(1) salt(16); the whole header is the AEAD's additional data. */
export const HEADER_BYTES = 20;
export const SALT_BYTES = 16;
export const SALT_OFFSET = 4;
/** ChaCha20-Poly1305 tag after a sealed body; open mode has none. */
export const TAG_BYTES = 16;
/** Largest plaintext body in sealed mode (open mode could carry 16 more; senders size for sealed). */
export const MAX_BODY_BYTES = MAX_DATAGRAM_BYTES - HEADER_BYTES - TAG_BYTES;

/** An unvalidated source may get no answer larger than this many times its request (QUIC's rule). */
export const AMPLIFICATION_FACTOR = 3;
/** INIT is padded to this whole-datagram size in open mode (sealed adds the tag), so COOKIE is smaller. */
export const INIT_MIN_DATAGRAM_BYTES = 96;

export const DatagramType = {
  INIT: 0x01,
  COOKIE: 0x02,
  JOIN: 0x03,
  WELCOME: 0x04,
  ANNOUNCE: 0x05,
  ACK: 0x06,
  HEARTBEAT: 0x07,
  LOOKUP: 0x09,
  PEERS: 0x0a,
  LEAVE: 0x0b,
  CONNECT: 0x0c,
  CONNECTING: 0x0d,
  ERROR: 0x0e,
  RING: 0x10,
  PUNCH_HELLO: 0x11,
  PUNCH_PEER: 0x12,
  REACH: 0x13,
  RELAY_OPEN: 0x14,
  REVOKED: 0x15,
  CERTIFICATE: 0x16,
} as const;
export type DatagramTypeNumber = (typeof DatagramType)[keyof typeof DatagramType];

/** Client → tracker. */
export const REQUEST_TYPES: readonly DatagramTypeNumber[] = [
  DatagramType.INIT,
  DatagramType.JOIN,
  DatagramType.ANNOUNCE,
  DatagramType.HEARTBEAT,
  DatagramType.LOOKUP,
  DatagramType.LEAVE,
  DatagramType.CONNECT,
  DatagramType.PUNCH_HELLO,
];
/** Tracker → client. */
export const REPLY_TYPES: readonly DatagramTypeNumber[] = [
  DatagramType.COOKIE,
  DatagramType.WELCOME,
  DatagramType.ACK,
  DatagramType.PEERS,
  DatagramType.ERROR,
  DatagramType.CONNECTING,
  DatagramType.RING,
  DatagramType.PUNCH_PEER,
  DatagramType.REACH,
  DatagramType.RELAY_OPEN,
  DatagramType.REVOKED,
  DatagramType.CERTIFICATE,
];

/** ANNOUNCE header flag: forget everything this peer announced before (the first batch after JOIN). */
export const FLAG_RESET = 0x01;
/** JOIN header flag: this member offers to relay for others (docs/PROTOCOL.md §20.6); used once it is found reachable. */
export const JOIN_FLAG_RELAY = 0x01;

export const CLIENT_NONCE_BYTES = 8;
export const COOKIE_BYTES = 8;
export const TOKEN_BYTES = 8;
export const PEER_ID_BYTES = 16;
export const HASH_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Addresses travel as 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
export const IP_BYTES = 16;

/** A cookie is valid in the epoch it was issued in and the next one: 60 to 120 s. */
export const COOKIE_EPOCH_SECONDS = 60;

/** Body sizes of the fixed-length types. */
export const INIT_BODY_BYTES = INIT_MIN_DATAGRAM_BYTES - HEADER_BYTES; // 76: nonce + zero padding
export const COOKIE_BODY_BYTES = 20; // nonce(8) cookie(8) trackerTime(4)
export const JOIN_BODY_BYTES = 130; // cookie(8) nonce(8) peerId(16) listenPort(2) publicKey(32) signature(64)
export const WELCOME_BODY_BYTES = 158; // nonce token intervalMs(4) ip(16) port(2) generation(4) online(4) trackerId key sig
export const PEER_REF_BYTES = 28; // peerId(16) token(8) seq(4): HEARTBEAT, LEAVE, and the start of ANNOUNCE / LOOKUP
export const LOOKUP_BODY_BYTES = PEER_REF_BYTES + HASH_BYTES;
export const ACK_BODY_BYTES = 17; // seq(4) intervalMs(4) generation(4) peersOnline(4) status(1)
/** ANNOUNCE: peer ref, then addCount(2) removeCount(2), then entries. */
export const ANNOUNCE_FIXED_BYTES = PEER_REF_BYTES + 4;
/** An add entry without its path: hash(32) size(8) pathLen(2). */
export const ANNOUNCE_ADD_FIXED_BYTES = HASH_BYTES + 8 + 2;
/** A remove entry without its path: pathLen(2). */
export const ANNOUNCE_REMOVE_FIXED_BYTES = 2;
/** PEERS: seq(4) hash(32) size(8) count(1), then per peer: peerId(16) ip(16) port(2). */
export const PEERS_FIXED_BYTES = 45;
export const PEER_ENTRY_BYTES = PEER_ID_BYTES + IP_BYTES + 2;
/** As many as fit in one sealed datagram: 45 + 32 × 34 = 1133 bytes of body. */
export const MAX_PEERS_PER_DATAGRAM = 32;
/** ERROR: ref(4) code(1) messageLength(1) message. */
export const ERROR_FIXED_BYTES = 6;
export const MAX_ERROR_MESSAGE_BYTES = 200;

/**
 * Intervals travel in milliseconds. The wire accepts 100 ms (tests) to 30 min; a tracker's
 * policy keeps at least 4 s and grows the interval with the number of online peers so that
 * heartbeats stay near TARGET_DATAGRAMS_PER_SECOND.
 */
export const MIN_WIRE_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 30 * 60 * 1000;
export const DEFAULT_MIN_INTERVAL_MS = 4000;
export const TARGET_DATAGRAMS_PER_SECOND = 5000;
/** A peer not heard from for this many intervals (plus slack) is dropped. */
export const MISSED_INTERVALS = 3;

/**
 * ACK status and ERROR code, one table: index 0 is success (ACK only), then v1's wire error codes,
 * then the control plane's own. Append only: the index is the wire value.
 */
export const DATAGRAM_STATUS = [
  'ok',
  // v1's wire error codes as they were when this table was made (written out: codes added to
  // WIRE_ERROR_CODES later go at the end here, so no index moves).
  'bad_frame',
  'bad_message',
  'unsupported_version',
  'not_found',
  'too_large',
  'too_many',
  'busy',
  'tracker_full',
  'too_many_files',
  'timeout',
  'internal',
  'wrong_mode',
  'bad_cookie',
  'unknown_peer',
  'bad_token',
  'address_changed',
  'bad_identity',
  'target_offline',
  'relay_off',
  'relay_full',
  'method_off',
  'not_member',
  'invite_used',
  'invite_expired',
  'not_admin',
] as const;
export type DatagramStatus = (typeof DATAGRAM_STATUS)[number];
/** Every wire error code has a datagram status (ERROR carries them): this fails to compile otherwise. */
export const WIRE_CODES_COVERED: [Exclude<WireErrorCode, DatagramStatus>] extends [never] ? true : never = true;

/** Why a datagram was dropped; counted by the tracker, never thrown. */
export const DROP_REASONS = [
  'too_large',
  'truncated',
  'bad_version',
  'wrong_mode',
  'bad_type',
  'forged',
  'bad_length',
  'bad_field',
  'bad_cookie',
  'bad_identity',
  'unknown_peer',
  'bad_token',
  'spoofed_address',
  'replayed',
  'rate_limited',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/**
 * Rendezvous (docs/PROTOCOL.md §20): how two members that cannot simply dial each other meet.
 * CONNECT (requester → tracker) names the target and a method; CONNECTING answers it; RING tells
 * the target (to the mapping its heartbeats keep open); PUNCH_HELLO / PUNCH_PEER exchange the
 * public UDP mappings of the two hole-punching sockets.
 */
export const ConnectMethod = {
  /** The target dials the requester's announced TCP address (connection reversal). */
  REVERSE: 1,
  /** Both dial a relay (the tracker's, or a member that offers one), which splices the two sockets. */
  RELAY: 2,
  /** Both send to each other's public UDP mapping at once (hole punching), then run UDX over it. */
  PUNCH: 3,
} as const;
export type ConnectMethodNumber = (typeof ConnectMethod)[keyof typeof ConnectMethod];
export const SESSION_BYTES = 16;
/** CONNECT: peer ref, target(16), method(1), requestNonce(16). */
export const CONNECT_BODY_BYTES = PEER_REF_BYTES + PEER_ID_BYTES + 1 + SESSION_BYTES;
/** CONNECTING: seq(4) status(1) method(1) session(16) relayPort(2) relayIp(16); relayIp :: is the tracker's own address. */
export const CONNECTING_BODY_BYTES = 40;
/** RING: from(16) method(1) session(16) ip(16) port(2). */
export const RING_BODY_BYTES = PEER_ID_BYTES + 1 + SESSION_BYTES + IP_BYTES + 2;
/** PUNCH_HELLO: session(16) role(1), zero padding to PUNCH_PEER's size (no amplification). */
export const PUNCH_HELLO_BODY_BYTES = 34;
/** PUNCH_PEER: session(16) ip(16) port(2): where the other side's punching socket is seen. */
export const PUNCH_PEER_BODY_BYTES = SESSION_BYTES + IP_BYTES + 2;
/**
 * REACH: result(1) ip(16) port(2): the tracker dialled the member's TCP address (ip:port as it
 * lists it) and got that member's own handshake (REACH_REACHABLE) or nothing (REACH_UNREACHABLE).
 */
export const REACH_BODY_BYTES = 1 + IP_BYTES + 2;
/** RELAY_OPEN: session(16) requester(16) target(16): a member relay is to splice this session for these two. */
export const RELAY_OPEN_BODY_BYTES = SESSION_BYTES + 2 * PEER_ID_BYTES;
/**
 * REVOKED: count(1, 1…12) ‖ count × entry; an entry is peerId(16) ‖ revokedAt(4, unix s) ‖ the
 * owner's signature(64) (docs/PROTOCOL.md §22.3): a member that knows the owner key checks each.
 */
export const REVOCATION_ENTRY_BYTES = 16 + 4 + 64;
/** CERTIFICATE: ownerKey(32) ‖ certificateLength(1) ‖ certificate (§22.4): a member's own, when its tracker turns management on. */
export const CERTIFICATE_FIXED_BYTES = 33;
export const MAX_REVOCATIONS_PER_DATAGRAM = 12;
export const REACH_REACHABLE = 1;
export const REACH_UNREACHABLE = 2;
/** Role byte of PUNCH_HELLO and of a stream preface: the side that asked, or the side that was rung. */
export const ROLE_REQUESTER = 0;
export const ROLE_TARGET = 1;

/**
 * A TCP connection made for a rendezvous starts with this preface instead of a TLS ClientHello
 * (0x16) or an open-mode frame (0x00): magic 'P2P', kind, session(16), role(1). The listener
 * that reads it hands the socket on; TLS and the peer protocol then run inside as on any connection.
 */
export const PREFACE_MAGIC = Buffer.from('P2P', 'latin1');
export const PREFACE_BYTES = 3 + 1 + SESSION_BYTES + 1;
/** Kind 'R': a reversed connection, from the target to the requester that is waiting for it. */
export const PREFACE_REVERSE = 0x52;
/** Kind 'L': one side of a relayed connection, to the tracker's relay. */
export const PREFACE_RELAY = 0x4c;
