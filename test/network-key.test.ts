import { describe, expect, it } from 'vitest';
import { derivePsk, formatNetworkKey, generateNetworkKey, parseNetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity, peerIdOf, verifyIdentity } from '../electron/engine/security/peer-identity.js';

describe('network key', () => {
  it('round-trips through its 43-character text form, one spelling per key', () => {
    const key = generateNetworkKey();
    const text = formatNetworkKey(key);
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseNetworkKey(`  ${text}\n`).equals(key)).toBe(true);
    // The last character's unused bits must be zero: a second spelling of the same key is refused.
    const last = text.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(() => parseNetworkKey(text.slice(0, -1) + sibling)).toThrow(/256 bits/);
    expect(() => parseNetworkKey('short')).toThrow(/43 characters/);
  });

  it('derives a 32-byte PSK that depends on the key', () => {
    const a = generateNetworkKey();
    const b = generateNetworkKey();
    expect(derivePsk(a)).toHaveLength(32);
    expect(derivePsk(a).equals(derivePsk(a))).toBe(true);
    expect(derivePsk(a).equals(derivePsk(b))).toBe(false);
    expect(derivePsk(a).equals(a)).toBe(false);
  });
});

describe('peer identity', () => {
  it('derives the peer id from the public key and signs verifiably', () => {
    const me = PeerIdentity.generate();
    expect(me.peerId).toBe(peerIdOf(me.publicKeyRaw));
    expect(me.peerId).toMatch(/^[0-9a-f]{32}$/);
    const data = Buffer.from('session binding');
    const sig = me.sign(data);
    expect(verifyIdentity(me.publicKeyRaw, data, sig)).toBe(true);
    expect(verifyIdentity(me.publicKeyRaw, Buffer.from('other'), sig)).toBe(false);
    expect(verifyIdentity(PeerIdentity.generate().publicKeyRaw, data, sig)).toBe(false);
    expect(verifyIdentity(Buffer.alloc(5), data, sig)).toBe(false);
  });
});
