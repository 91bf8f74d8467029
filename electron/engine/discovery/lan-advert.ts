import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import net from 'node:net';
import { z } from 'zod';
import type { NetworkKey } from '../security/network-key.js';
import { isLanAddress } from '../nat/upnp-gateway.js';

/**
 * What one peer tells its LAN over mDNS/DNS-SD (docs/PROTOCOL.md §21): a PTR from the
 * network's service type to this peer's instance, with SRV and TXT records for that instance.
 *
 * Names are keyed by the network like the DHT's info-hashes: with a network key the service type
 * is `_p2s-<10 hex>._tcp.local` (an HMAC tag: a stranger on the café Wi-Fi can't tell which
 * network, nor match two networks), the instance is a tag of the peer id, and the TXT record's
 * `d=` value is sealed (ChaCha20-Poly1305), so peer id, port, name and tracker port read only to
 * members. Open mode has no secret and says it all in plain JSON. Either way an advertisement
 * only says "try this address": the dial still has to pass TLS and the identity check.
 */

export const ADVERT_VERSION = 'v=1';
/** DNS-SD service labels are at most 15 characters (RFC 6763 §7.2). */
const OPEN_SERVICE = '_p2pshare._tcp.local';
const LAN_SALT = Buffer.from('p2pshare lan v1', 'utf8');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed advert is ~150 bytes; anything much larger is not ours. */
export const MAX_ADVERT_CHARS = 512;
export const MAX_NAME_CHARS = 63;

const advertBody = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  port: z.number().int().min(1).max(65535),
  tracker: z.number().int().min(1).max(65535).optional(),
  name: z.string().min(1).max(MAX_NAME_CHARS).optional(),
});

/** What a peer advertises: the address part comes from the packet's source, not from here. */
export type LanAdvert = z.infer<typeof advertBody>;

/** Why an advertisement was not believed (counted and logged by LanDiscovery). */
export type AdvertDrop = 'no_payload' | 'too_large' | 'bad_seal' | 'bad_body' | 'not_lan_source' | 'own';

export class LanNames {
  readonly service: string;
  private readonly sealKey: Buffer | undefined;
  private readonly tagKey: Buffer | undefined;

  constructor(networkKey?: NetworkKey) {
    if (!networkKey) {
      this.service = OPEN_SERVICE;
      return;
    }
    this.sealKey = Buffer.from(hkdfSync('sha256', networkKey, LAN_SALT, Buffer.from('advert seal', 'utf8'), 32));
    this.tagKey = Buffer.from(hkdfSync('sha256', networkKey, LAN_SALT, Buffer.from('names', 'utf8'), 32));
    this.service = `_p2s-${this.tag('service').slice(0, 10)}._tcp.local`;
  }

  /** The DNS-SD instance name of a peer: its id in open mode, a keyed tag of it otherwise. */
  instance(peerId: string): string {
    return `${this.tagKey ? this.tag(`peer ${peerId}`).slice(0, 16) : peerId.slice(0, 16)}.${this.service}`;
  }

  /** The TXT record's `d=` value. */
  encode(advert: LanAdvert): string {
    const plain = Buffer.from(JSON.stringify(advertBody.parse(advert) as LanAdvert), 'utf8');
    if (!this.sealKey) return plain.toString('base64url');
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('chacha20-poly1305', this.sealKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(this.service, 'utf8'), { plaintextLength: plain.length });
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** Never throws: an advertisement that fails any check comes back as `{ drop }`. */
  decode(value: string): LanAdvert | { drop: AdvertDrop } {
    if (value.length > MAX_ADVERT_CHARS) return { drop: 'too_large' };
    const bytes = Buffer.from(value, 'base64url');
    let plain: Buffer;
    if (this.sealKey) {
      if (bytes.length < NONCE_BYTES + TAG_BYTES + 2) return { drop: 'bad_seal' };
      try {
        const decipher = createDecipheriv('chacha20-poly1305', this.sealKey, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(this.service, 'utf8'), { plaintextLength: bytes.length - NONCE_BYTES - TAG_BYTES });
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        plain = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      } catch {
        return { drop: 'bad_seal' };
      }
    } else {
      plain = bytes;
    }
    try {
      const parsed = advertBody.safeParse(JSON.parse(plain.toString('utf8')));
      return parsed.success ? parsed.data : { drop: 'bad_body' };
    } catch {
      return { drop: 'bad_body' };
    }
  }

  private tag(what: string): string {
    return createHmac('sha256', this.tagKey!).update(what, 'utf8').digest('hex');
  }
}

/** The `d=` value among a TXT record's strings (Buffers or strings, as dns-packet gives them). */
export function advertPayload(txt: unknown): string | { drop: AdvertDrop } {
  const strings = Array.isArray(txt) ? txt : [txt];
  let total = 0;
  let found: string | undefined;
  for (const entry of strings) {
    const text = Buffer.isBuffer(entry) ? entry.toString('utf8') : typeof entry === 'string' ? entry : '';
    total += text.length;
    if (total > MAX_ADVERT_CHARS + 64) return { drop: 'too_large' };
    if (text.startsWith('d=')) found = text.slice(2);
  }
  return found ?? { drop: 'no_payload' };
}

/**
 * Only a LAN (private, link-local or CGNAT) source is believed: an mDNS packet from anywhere else
 * crossed a router, which mDNS never does, so it is forged or misrouted.
 */
export function isLanSource(address: string): boolean {
  if (net.isIPv4(address)) return isLanAddress(address);
  if (!net.isIPv6(address)) return false;
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return isLanAddress(lower.slice(7));
  return lower.startsWith('fe80:') || lower.startsWith('fc') || lower.startsWith('fd');
}
