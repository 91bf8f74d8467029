import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';
import {
  DATAGRAM_VERSION,
  DatagramType,
  HEADER_BYTES,
  MAX_DATAGRAM_BYTES,
  MODE_OPEN,
  MODE_SEALED,
  SALT_BYTES,
  SALT_OFFSET,
  TAG_BYTES,
} from '../../../shared/protocol/datagram.js';
import type { DatagramDrop } from './datagram-fields.js';
import { deriveDatagramKey, type NetworkKey } from '../security/network-key.js';

/**
 * The outer layer of every v2 datagram: a 20-byte header (version, mode, type, flags, salt),
 * then the body, sealed with ChaCha20-Poly1305 in sealed mode or plaintext in open mode.
 *
 * Sealed mode derives one key per datagram, HMAC-SHA256(root key, salt), with a fresh random
 * 128-bit salt and a zero nonce: the many members sharing the root key need no nonce
 * coordination, and no (key, nonce) pair repeats within any realistic lifetime of a network
 * (random 96-bit nonces under one key would start to collide after a few billion datagrams).
 * The whole header is the additional data, so no header bit can be changed either.
 *
 * open() never throws: a datagram that fails any check comes back as `{ drop: reason }`.
 */

const AEAD = 'chacha20-poly1305';
const ZERO_NONCE = Buffer.alloc(12);
/** Options made once, not per datagram. plaintextLength only satisfies the typings (it matters for CCM, not ChaCha20-Poly1305). */
const TAG_OPTIONS = Object.freeze({ authTagLength: TAG_BYTES });
const AAD_OPTIONS = Object.freeze({ plaintextLength: 0 });
/** Salts come from one pooled random fill rather than a getrandom call per datagram. */
const SALT_POOL_BYTES = SALT_BYTES * 256;

export type OpenedDatagram = { type: number; flags: number; body: Buffer };
export type DatagramSealOptions = {
  /** Types this side accepts (a tracker: requests; a client: replies); others drop as bad_type before any crypto. Default: every type. */
  accept?: readonly number[];
};

export class DatagramSeal {
  readonly mode: 'sealed' | 'open';
  private readonly modeByte: number;
  private readonly rootKey: KeyObject | undefined;
  private readonly accepted = new Uint8Array(256);
  private readonly saltPool = Buffer.alloc(SALT_POOL_BYTES);
  private saltAt = SALT_POOL_BYTES;

  /** `key` null means open mode: plaintext bodies, no tag. */
  constructor(key: NetworkKey | null, options: DatagramSealOptions = {}) {
    this.mode = key ? 'sealed' : 'open';
    this.modeByte = key ? MODE_SEALED : MODE_OPEN;
    this.rootKey = key ? createSecretKey(deriveDatagramKey(key)) : undefined;
    for (const type of options.accept ?? Object.values(DatagramType)) this.accepted[type & 0xff] = 1;
  }

  /** Bytes a body of `bodyBytes` takes on the wire in this mode. */
  datagramBytes(bodyBytes: number): number {
    return HEADER_BYTES + bodyBytes + (this.rootKey ? TAG_BYTES : 0);
  }

  /** Builds one datagram. Throws on a programmer mistake: a body too big for one datagram, a type or flags out of range. */
  seal(type: number, flags: number, body: Buffer): Buffer {
    const total = this.datagramBytes(body.length);
    if (total > MAX_DATAGRAM_BYTES) throw new RangeError(`a datagram of ${total} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
    if (!Number.isInteger(type) || type < 0 || type > 0xff || !Number.isInteger(flags) || flags < 0 || flags > 0xff) {
      throw new RangeError('datagram type and flags are bytes');
    }
    const out = Buffer.allocUnsafe(total);
    out[0] = DATAGRAM_VERSION;
    out[1] = this.modeByte;
    out[2] = type;
    out[3] = flags;
    if (!this.rootKey) {
      out.fill(0, SALT_OFFSET, HEADER_BYTES);
      body.copy(out, HEADER_BYTES);
      return out;
    }
    this.nextSalt().copy(out, SALT_OFFSET);
    const cipher = createCipheriv(AEAD, this.datagramKey(out), ZERO_NONCE, TAG_OPTIONS);
    cipher.setAAD(out.subarray(0, HEADER_BYTES), AAD_OPTIONS);
    cipher.update(body).copy(out, HEADER_BYTES);
    cipher.final();
    cipher.getAuthTag().copy(out, HEADER_BYTES + body.length);
    return out;
  }

  /**
   * Checks, cheapest first: size, version, mode, type, then (sealed) the tag. Open mode's body
   * is a view into `datagram`, not a copy.
   */
  open(datagram: Buffer): OpenedDatagram | DatagramDrop {
    const length = datagram.length;
    if (length > MAX_DATAGRAM_BYTES) return { drop: 'too_large' };
    if (length < HEADER_BYTES) return { drop: 'truncated' };
    if (datagram[0] !== DATAGRAM_VERSION) return { drop: 'bad_version' };
    const mode = datagram[1];
    if (mode !== this.modeByte) return { drop: mode === MODE_OPEN || mode === MODE_SEALED ? 'wrong_mode' : 'bad_field' };
    const type = datagram[2]!;
    if (this.accepted[type] !== 1) return { drop: 'bad_type' };
    const flags = datagram[3]!;
    if (!this.rootKey) {
      for (let i = SALT_OFFSET; i < HEADER_BYTES; i++) if (datagram[i] !== 0) return { drop: 'bad_field' };
      return { type, flags, body: datagram.subarray(HEADER_BYTES) };
    }
    if (length < HEADER_BYTES + TAG_BYTES) return { drop: 'truncated' };
    const tagAt = length - TAG_BYTES;
    try {
      const decipher = createDecipheriv(AEAD, this.datagramKey(datagram), ZERO_NONCE, TAG_OPTIONS);
      decipher.setAAD(datagram.subarray(0, HEADER_BYTES), AAD_OPTIONS);
      decipher.setAuthTag(datagram.subarray(tagAt));
      const body = decipher.update(datagram.subarray(HEADER_BYTES, tagAt));
      decipher.final(); // throws when the tag does not match
      return { type, flags, body };
    } catch {
      return { drop: 'forged' };
    }
  }

  private datagramKey(datagram: Buffer): Buffer {
    return createHmac('sha256', this.rootKey!).update(datagram.subarray(SALT_OFFSET, HEADER_BYTES)).digest();
  }

  private nextSalt(): Buffer {
    if (this.saltAt === SALT_POOL_BYTES) {
      randomFillSync(this.saltPool);
      this.saltAt = 0;
    }
    const salt = this.saltPool.subarray(this.saltAt, this.saltAt + SALT_BYTES);
    this.saltAt += SALT_BYTES;
    return salt;
  }
}
