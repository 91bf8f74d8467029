import { REVOCATION_ENTRY_BYTES } from '../../../shared/protocol/datagram.js';
import { verifyIdentity, type PeerIdentity } from '../security/peer-identity.js';

/**
 * One revocation, as the owner signs it (docs/PROTOCOL.md §22.3): peerId(16) ‖ revokedAt(4, unix
 * s) ‖ signature(64) over a label, the owner's public key, the peer id and the time. Signed by
 * the owner, so any member can check one whoever passed it on (a tracker, later another peer).
 */
const LABEL = Buffer.from('p2pshare revocation v1', 'utf8');

export function signRevocation(owner: PeerIdentity, peerId: string, atSeconds: number): Buffer {
  const head = Buffer.alloc(20);
  Buffer.from(peerId, 'hex').copy(head, 0);
  head.writeUInt32BE(atSeconds >>> 0, 16);
  return Buffer.concat([head, owner.sign(Buffer.concat([LABEL, owner.publicKeyRaw, head]))]);
}

/** The revoked peer id and when, if `entry` is a revocation the owner of `ownerKey` signed. */
export function openRevocation(entry: Buffer, ownerKey: Buffer): { peerId: string; at: number } | undefined {
  if (entry.length !== REVOCATION_ENTRY_BYTES) return undefined;
  const head = entry.subarray(0, 20);
  if (!verifyIdentity(ownerKey, Buffer.concat([LABEL, ownerKey, head]), entry.subarray(20))) return undefined;
  return { peerId: head.toString('hex', 0, 16), at: head.readUInt32BE(16) };
}
