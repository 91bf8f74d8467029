import { DatagramType, MAX_REVOCATIONS_PER_DATAGRAM, REVOCATION_ENTRY_BYTES } from '../../../shared/protocol/datagram.js';
import { drop, type DatagramDrop } from './datagram-fields.js';

/** Revocations the tracker passes on (docs/PROTOCOL.md §22.3); each entry is checked by its receiver against the owner key. */
export type RevokedBody = { type: typeof DatagramType.REVOKED; entries: Buffer[] };

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
