import { CERTIFICATE_FIXED_BYTES, DatagramType, MAX_REVOCATIONS_PER_DATAGRAM, REVOCATION_ENTRY_BYTES } from '../../../shared/protocol/datagram.js';
import { MAX_CERTIFICATE_BYTES } from '../membership/certificate.js';
import { drop, type DatagramDrop } from './datagram-fields.js';

/**
 * The managed-membership datagrams (docs/PROTOCOL.md §22), decoded strictly. What they carry is
 * signed by the owner and checked by the receiver; the codec only checks the layout.
 */

/** Revocations the tracker passes on (§22.3); each entry is checked by its receiver against the owner key. */
export type RevokedBody = { type: typeof DatagramType.REVOKED; entries: Buffer[] };
/** A member's own certificate and the owner key, when its tracker turns management on (§22.4). */
export type CertificateBody = { type: typeof DatagramType.CERTIFICATE; ownerKey: Buffer; certificate: Buffer };
export type MembershipBody = RevokedBody | CertificateBody;


export function decodeCertificateBody(body: Buffer): CertificateBody | DatagramDrop {
  if (body.length < CERTIFICATE_FIXED_BYTES + 1) return drop('truncated');
  const length = body[32]!;
  if (length < 1 || length > MAX_CERTIFICATE_BYTES) return drop('bad_field', 'certificate length');
  if (body.length !== CERTIFICATE_FIXED_BYTES + length) return drop(body.length < CERTIFICATE_FIXED_BYTES + length ? 'truncated' : 'bad_length');
  return { type: DatagramType.CERTIFICATE, ownerKey: body.subarray(0, 32), certificate: body.subarray(CERTIFICATE_FIXED_BYTES) };
}

export function encodeCertificateBody(msg: CertificateBody): Buffer {
  if (msg.ownerKey.length !== 32) throw new RangeError('an owner key is 32 bytes');
  if (msg.certificate.length < 1 || msg.certificate.length > MAX_CERTIFICATE_BYTES) throw new RangeError(`a certificate is 1 to ${MAX_CERTIFICATE_BYTES} bytes`);
  return Buffer.concat([msg.ownerKey, Buffer.from([msg.certificate.length]), msg.certificate]);
}

export function decodeRevoked(body: Buffer): RevokedBody | DatagramDrop {
  const count = body[0] ?? 0;
  if (body.length < 1 + REVOCATION_ENTRY_BYTES) return drop('truncated');
  if (count < 1 || count > MAX_REVOCATIONS_PER_DATAGRAM) return drop('bad_field', 'revocation count');
  if (body.length !== 1 + count * REVOCATION_ENTRY_BYTES) return drop(body.length < 1 + count * REVOCATION_ENTRY_BYTES ? 'truncated' : 'bad_length');
  const entries: Buffer[] = [];
  for (let i = 0; i < count; i++) entries.push(body.subarray(1 + i * REVOCATION_ENTRY_BYTES, 1 + (i + 1) * REVOCATION_ENTRY_BYTES));
  return { type: DatagramType.REVOKED, entries };
}

export function encodeRevoked(msg: RevokedBody): Buffer {
  if (msg.entries.length < 1 || msg.entries.length > MAX_REVOCATIONS_PER_DATAGRAM) throw new RangeError(`1 to ${MAX_REVOCATIONS_PER_DATAGRAM} revocations per datagram`);
  const body = Buffer.alloc(1 + msg.entries.length * REVOCATION_ENTRY_BYTES);
  body[0] = msg.entries.length;
  msg.entries.forEach((entry, i) => {
    if (entry.length !== REVOCATION_ENTRY_BYTES) throw new RangeError('a revocation entry is 84 bytes');
    entry.copy(body, 1 + i * REVOCATION_ENTRY_BYTES);
  });
  return body;
}
