import { hkdfSync, randomBytes } from 'node:crypto';

/**
 * A member invite's secret part (docs/PROTOCOL.md §22.2): an id that names it at the tracker and
 * a secret that only the link carries. The redeeming TLS handshake uses a pre-shared key derived
 * from the secret, under the PSK identity `p2pshare/invite/ID`, so an invite works only at a
 * tracker that issued it, and the link alone (without that handshake) opens nothing.
 */
export const INVITE_ID_BYTES = 9;
export const INVITE_SECRET_BYTES = 18;
const SALT = Buffer.from('p2pshare invite v1', 'utf8');
export const INVITE_PSK_PREFIX = 'p2pshare/invite/';

export function newInviteSecret(): { id: string; secret: string } {
  return { id: randomBytes(INVITE_ID_BYTES).toString('base64url'), secret: randomBytes(INVITE_SECRET_BYTES).toString('base64url') };
}

/** The TLS 1.3 external PSK of an invite (SHA-256 suites need 32 bytes). */
export function invitePsk(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), SALT, Buffer.from('tls13 external psk', 'utf8'), 32));
}
