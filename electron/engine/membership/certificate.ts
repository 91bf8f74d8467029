import { peerIdOf, verifyIdentity, type PeerIdentity } from '../security/peer-identity.js';

/**
 * A member certificate (docs/PROTOCOL.md §22): the network's owner key vouches that a peer
 * identity is a member, under a display name and a role, from a time and optionally until one.
 * Fixed binary layout, so what is signed is exactly what travels:
 *
 *   version(1) role(1) peerId(16) issuedAt(4, unix s) expiresAt(4, 0 = never) nameLength(1)
 *   name(UTF-8, 1…64) issuerKey(32) signature(64)
 *
 * The signature covers a label and every byte before it.
 */

export const CERTIFICATE_VERSION = 1;
export const MAX_NAME_BYTES = 64;
const LABEL = Buffer.from('p2pshare member certificate v1', 'utf8');
const FIXED_BYTES = 1 + 1 + 16 + 4 + 4 + 1;
/** The longest certificate (a 64-byte name), for size limits on the wire. */
export const MAX_CERTIFICATE_BYTES = FIXED_BYTES + MAX_NAME_BYTES + 32 + 64;

export type MemberRole = 'member' | 'admin';
const ROLE_BYTE: Record<MemberRole, number> = { member: 1, admin: 2 };

export interface MemberCertificate {
  role: MemberRole;
  peerId: string;
  name: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; 0 for never. */
  expiresAt: number;
  /** The key that signed it (the owner's, in this version). */
  issuerKey: Buffer;
  signature: Buffer;
  /** The encoded certificate, as signed and sent. */
  bytes: Buffer;
}

/** A display name as certificates hold it: trimmed, no control characters, at most 64 bytes. */
export function checkMemberName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new RangeError('a member name must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new RangeError('a member name must not contain control characters');
  if (Buffer.byteLength(trimmed, 'utf8') > MAX_NAME_BYTES) throw new RangeError(`a member name is at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  return trimmed;
}

export function issueCertificate(issuer: PeerIdentity, fields: { role: MemberRole; peerId: string; name: string; issuedAt: number; expiresAt?: number }): MemberCertificate {
  const name = Buffer.from(checkMemberName(fields.name), 'utf8');
  if (!/^[0-9a-f]{32}$/.test(fields.peerId)) throw new RangeError('a peer id is 32 hex digits');
  const body = Buffer.alloc(FIXED_BYTES + name.length + 32);
  body[0] = CERTIFICATE_VERSION;
  body[1] = ROLE_BYTE[fields.role];
  Buffer.from(fields.peerId, 'hex').copy(body, 2);
  body.writeUInt32BE(fields.issuedAt >>> 0, 18);
  body.writeUInt32BE((fields.expiresAt ?? 0) >>> 0, 22);
  body[26] = name.length;
  name.copy(body, 27);
  issuer.publicKeyRaw.copy(body, 27 + name.length);
  const signature = issuer.sign(Buffer.concat([LABEL, body]));
  const decoded = decodeCertificate(Buffer.concat([body, signature]));
  if ('error' in decoded) throw new Error(`issued an undecodable certificate: ${decoded.error}`);
  return decoded;
}

/** Parses the layout strictly; says what is wrong rather than throwing. Does not check the signature. */
export function decodeCertificate(bytes: Buffer): MemberCertificate | { error: string } {
  if (bytes.length < FIXED_BYTES + 1 + 96 || bytes.length > MAX_CERTIFICATE_BYTES) return { error: 'a certificate of the wrong size' };
  if (bytes[0] !== CERTIFICATE_VERSION) return { error: `certificate version ${bytes[0]} is not known` };
  const role = bytes[1] === 1 ? 'member' : bytes[1] === 2 ? 'admin' : undefined;
  if (!role) return { error: 'a certificate with an unknown role' };
  const nameLength = bytes[26]!;
  if (nameLength < 1 || nameLength > MAX_NAME_BYTES || bytes.length !== FIXED_BYTES + nameLength + 96) return { error: 'a certificate whose name length does not match its size' };
  const nameBytes = bytes.subarray(27, 27 + nameLength);
  const name = new TextDecoder('utf-8', { fatal: false }).decode(nameBytes);
  if (Buffer.byteLength(name, 'utf8') !== nameLength || name.includes('\ufffd')) return { error: 'a certificate whose name is not UTF-8' };
  return {
    role,
    peerId: bytes.toString('hex', 2, 18),
    name,
    issuedAt: bytes.readUInt32BE(18),
    expiresAt: bytes.readUInt32BE(22),
    issuerKey: bytes.subarray(27 + nameLength, 59 + nameLength),
    signature: bytes.subarray(59 + nameLength),
    bytes,
  };
}

/**
 * Why `bytes` does not make `peerId` a member of the network owned by `ownerKey` now, or
 * undefined when it does (signature, issuer, peer id, expiry; revocation is the caller's).
 */
export function certificateProblem(bytes: Buffer | undefined, peerId: string, ownerKey: Buffer, nowSeconds: number): string | undefined {
  if (!bytes) return 'no member certificate';
  const cert = decodeCertificate(bytes);
  if ('error' in cert) return cert.error;
  if (cert.peerId !== peerId) return 'the certificate is for another peer';
  if (!cert.issuerKey.equals(ownerKey)) return 'the certificate was not issued by this network\'s owner';
  if (!verifyIdentity(cert.issuerKey, Buffer.concat([LABEL, bytes.subarray(0, bytes.length - 64)]), cert.signature)) return 'the certificate\'s signature does not verify';
  if (cert.expiresAt !== 0 && cert.expiresAt <= nowSeconds) return 'the certificate has expired';
  return undefined;
}

/** The owner key's fingerprint, as invites name it: the first 16 bytes of its SHA-256, in hex. */
export function ownerFingerprint(ownerKey: Buffer): string {
  return peerIdOf(ownerKey);
}
