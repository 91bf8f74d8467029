import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { COOKIE_BYTES, COOKIE_EPOCH_SECONDS, IP_BYTES } from '../../../shared/protocol/datagram.js';
import { writeIp } from './ip-address.js';

/**
 * Address-validation cookies in the spirit of BEP 15: a source proves it receives datagrams at
 * its ip:port by echoing the cookie the tracker sent there. Stateless: the cookie is an HMAC of
 * the address and the current epoch (60 s) under a secret of that epoch, itself derived from a
 * random per-process secret, so an unvalidated source costs the tracker no memory. A cookie is
 * accepted in its own epoch and the next, so it lives 60 to 120 s.
 */

const EPOCH_MS = COOKIE_EPOCH_SECONDS * 1000;
const SECRET_LABEL = Buffer.from('p2pshare v2 cookie epoch', 'utf8');

export type AddressCookiesOptions = {
  /** Milliseconds since the Unix epoch; tests inject a clock. */
  now?: () => number;
  /** The per-process secret (32 random bytes unless given). */
  secret?: Buffer;
};

export class AddressCookies {
  private readonly now: () => number;
  private readonly processSecret: KeyObject;
  /** The two epoch secrets in use, current and previous, derived on first use. */
  private readonly epochs: number[] = [-1, -1];
  private readonly epochKeys: (KeyObject | undefined)[] = [undefined, undefined];
  /** Scratch MAC input: ip(16) port(2) epoch(4). */
  private readonly input = Buffer.alloc(IP_BYTES + 2 + 4);

  constructor(options: AddressCookiesOptions = {}) {
    this.now = options.now ?? Date.now;
    this.processSecret = createSecretKey(options.secret ?? randomBytes(32));
  }

  /** The cookie for `host:port` now, or undefined when `host` is not an IP literal. */
  issue(host: string, port: number): Buffer | undefined {
    return this.cookieFor(host, port, this.epochNow());
  }

  /** Whether `cookie` was issued to `host:port` in this epoch or the previous one. */
  verify(host: string, port: number, cookie: Buffer): boolean {
    if (cookie.length !== COOKIE_BYTES) return false;
    const epoch = this.epochNow();
    for (const e of [epoch, epoch - 1]) {
      const expected = this.cookieFor(host, port, e);
      if (!expected) return false;
      if (timingSafeEqual(expected, cookie)) return true;
    }
    return false;
  }

  private epochNow(): number {
    return Math.floor(this.now() / EPOCH_MS);
  }

  private cookieFor(host: string, port: number, epoch: number): Buffer | undefined {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff || epoch < 0) return undefined;
    const input = this.input;
    if (!writeIp(host, input, 0)) return undefined;
    input.writeUInt16BE(port, IP_BYTES);
    input.writeUInt32BE(epoch >>> 0, IP_BYTES + 2);
    return createHmac('sha256', this.epochKey(epoch)).update(input).digest().subarray(0, COOKIE_BYTES);
  }

  private epochKey(epoch: number): KeyObject {
    const slot = epoch & 1;
    if (this.epochs[slot] !== epoch || !this.epochKeys[slot]) {
      const label = Buffer.alloc(SECRET_LABEL.length + 4);
      SECRET_LABEL.copy(label);
      label.writeUInt32BE(epoch >>> 0, SECRET_LABEL.length);
      this.epochKeys[slot] = createSecretKey(createHmac('sha256', this.processSecret).update(label).digest());
      this.epochs[slot] = epoch;
    }
    return this.epochKeys[slot]!;
  }
}
