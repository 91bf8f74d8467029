import { seededBytes } from './prng.js';
import { createHash } from 'node:crypto';
import { ConnectMethod, ROLE_TARGET, DatagramType } from '../../shared/protocol/datagram.js';
import type { DatagramBody } from '../../electron/engine/control/datagram-codec.js';

/** Deterministic bytes, so a failing case reads the same on every run. */
export const bytes = seededBytes;

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const peerId = bytes(16, 1).toString('hex');
const token = bytes(8, 2);

/** One body of every type, with fields that exercise the encodings (IPv6, big sizes, non-ASCII paths). */
export function sampleBodies(): DatagramBody[] {
  return [
    { type: DatagramType.INIT, clientNonce: bytes(8, 3) },
    { type: DatagramType.COOKIE, clientNonce: bytes(8, 3), cookie: bytes(8, 4), trackerTime: 1_750_000_000 },
    {
      type: DatagramType.JOIN,
      cookie: bytes(8, 4),
      clientNonce: bytes(8, 3),
      peerId,
      listenPort: 40_001,
      publicKey: bytes(32, 5),
      signature: bytes(64, 6),
      offersRelay: false,
    },
    {
      type: DatagramType.WELCOME,
      clientNonce: bytes(8, 3),
      token,
      intervalMs: 4000,
      observedHost: '2001:db8::7',
      observedPort: 51_000,
      generation: 77,
      peersOnline: 1_000_000,
      trackerPeerId: bytes(16, 7).toString('hex'),
      trackerKey: bytes(32, 8),
      trackerSignature: bytes(64, 9),
    },
    {
      type: DatagramType.ANNOUNCE,
      peerId,
      token,
      seq: 1,
      reset: true,
      add: [
        { path: 'music/été/01 — intro.flac', size: 2 ** 44, hash: hashOf('a') },
        { path: 'empty.txt', size: 0, hash: hashOf('b') },
      ],
      remove: ['old/name.bin'],
    },
    { type: DatagramType.ANNOUNCE, peerId, token, seq: 2, reset: false, add: [], remove: [] },
    { type: DatagramType.ACK, seq: 2, intervalMs: 200_000, generation: 78, peersOnline: 12, status: 'ok' },
    { type: DatagramType.ACK, seq: 3, intervalMs: 4000, generation: 78, peersOnline: 12, status: 'too_many_files' },
    { type: DatagramType.HEARTBEAT, peerId, token, seq: 0xffffffff },
    { type: DatagramType.LOOKUP, peerId, token, seq: 4, hash: hashOf('a') },
    {
      type: DatagramType.PEERS,
      seq: 4,
      hash: hashOf('a'),
      size: 123_456_789_012,
      peers: Array.from({ length: 32 }, (_, i) => ({
        peerId: bytes(16, 100 + i).toString('hex'),
        host: i % 2 ? `10.0.${i}.1` : `fe80::${(i + 1).toString(16)}`,
        port: 1 + i * 1000,
      })),
    },
    { type: DatagramType.PEERS, seq: 5, hash: hashOf('none'), size: 0, peers: [] },
    { type: DatagramType.LEAVE, peerId, token, seq: 6 },
    { type: DatagramType.ERROR, ref: 6, code: 'unknown_peer', message: 'join again: this tracker restarted' },
    { type: DatagramType.ERROR, ref: 0, code: 'wrong_mode', message: '' },
    // Rendezvous (PROTOCOL.md §20): kept last, so the positions above stay put.
    { type: DatagramType.CONNECT, peerId, token, seq: 7, target: bytes(16, 9).toString('hex'), method: ConnectMethod.PUNCH, requestNonce: bytes(16, 10) },
    { type: DatagramType.CONNECTING, seq: 7, status: 'ok', method: ConnectMethod.RELAY, session: bytes(16, 11), relayPort: 6969, relayHost: '::' },
    { type: DatagramType.CONNECTING, seq: 8, status: 'target_offline', method: ConnectMethod.REVERSE, session: Buffer.alloc(16), relayPort: 0, relayHost: '::' },
    { type: DatagramType.RING, from: bytes(16, 12).toString('hex'), method: ConnectMethod.REVERSE, session: bytes(16, 13), host: '203.0.113.20', port: 5000 },
    { type: DatagramType.RING, from: bytes(16, 12).toString('hex'), method: ConnectMethod.PUNCH, session: bytes(16, 14), host: '::', port: 0 },
    { type: DatagramType.PUNCH_HELLO, session: bytes(16, 15), role: ROLE_TARGET },
    { type: DatagramType.PUNCH_PEER, session: bytes(16, 15), host: '198.51.100.7', port: 40_001 },
    { type: DatagramType.REACH, reachable: true, host: '203.0.113.2', port: 5000 },
    { type: DatagramType.REACH, reachable: false, host: '2001:db8::7', port: 41_000 },
    // Member relays (§20.6).
    { type: DatagramType.CONNECTING, seq: 9, status: 'ok', method: ConnectMethod.RELAY, session: bytes(16, 16), relayPort: 40_002, relayHost: '203.0.113.9' },
    { type: DatagramType.RELAY_OPEN, session: bytes(16, 16), requester: bytes(16, 17).toString('hex'), target: bytes(16, 18).toString('hex') },
    { type: DatagramType.JOIN, cookie: bytes(8, 4), clientNonce: bytes(8, 3), peerId, listenPort: 40_002, publicKey: bytes(32, 5), signature: bytes(64, 6), offersRelay: true },
    // Managed membership (§22.3): owner-signed revocations passed on, as many as fit.
    { type: DatagramType.REVOKED, entries: Array.from({ length: 12 }, (_, i) => bytes(84, 40 + i)) },
    { type: DatagramType.CERTIFICATE, ownerKey: bytes(32, 60), certificate: bytes(187, 61) },
  ];
}
