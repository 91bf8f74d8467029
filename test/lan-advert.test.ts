import { describe, expect, it } from 'vitest';
import { advertPayload, isLanSource, LanNames, MAX_ADVERT_CHARS } from '../electron/engine/discovery/lan-advert.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';

const advert = { id: 'ab'.repeat(16), port: 5000, tracker: 6969, name: 'alice-laptop' };

describe('LAN advertisements (mDNS names and the sealed TXT payload)', () => {
  it('keys the service type and instance names by the network: members agree, strangers and other networks see unrelated tags', () => {
    const key = generateNetworkKey();
    const a = new LanNames(key);
    const b = new LanNames(key);
    const other = new LanNames(generateNetworkKey());
    expect(a.service).toBe(b.service);
    expect(a.service).toMatch(/^_p2s-[0-9a-f]{10}\._tcp\.local$/);
    expect(other.service).not.toBe(a.service);
    expect(a.instance(advert.id)).toBe(b.instance(advert.id));
    // The instance name says nothing of the peer id in a keyed network…
    expect(a.instance(advert.id)).not.toContain(advert.id.slice(0, 8));
    // …and in open mode it is the id itself (there is no secret to hide it with).
    expect(new LanNames().service).toBe('_p2pshare._tcp.local');
    expect(new LanNames().instance(advert.id)).toBe(`${advert.id.slice(0, 16)}._p2pshare._tcp.local`);
  });

  it('seals what it says: a member reads it back, the payload shows nothing readable, another key or a changed byte is bad_seal', () => {
    const key = generateNetworkKey();
    const names = new LanNames(key);
    const sealed = names.encode(advert);
    expect(sealed.length).toBeLessThan(MAX_ADVERT_CHARS);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('alice');
    expect(new LanNames(key).decode(sealed)).toEqual(advert);
    expect(new LanNames(generateNetworkKey()).decode(sealed)).toEqual({ drop: 'bad_seal' });
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[20]! ^= 1;
    expect(names.decode(bytes.toString('base64url'))).toEqual({ drop: 'bad_seal' });
    expect(names.decode('')).toEqual({ drop: 'bad_seal' });
    // Two adverts of the same facts differ (a fresh nonce each): a capture can't be matched to a later one.
    expect(names.encode(advert)).not.toBe(sealed);
  });

  it('refuses bodies that are not an advert: wrong fields, bad ports, long names, extra keys, non-JSON, oversized', () => {
    const open = new LanNames();
    const encode = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64url');
    expect(open.decode(open.encode(advert))).toEqual(advert);
    for (const body of [
      { ...advert, port: 0 },
      { ...advert, port: 70_000 },
      { ...advert, id: 'AB'.repeat(16) },
      { ...advert, id: 'ab' },
      { ...advert, name: 'x'.repeat(64) },
      { ...advert, extra: true },
      { port: 5000 },
      '{"id":',
      'null',
      '[]',
    ]) {
      expect(open.decode(encode(body)), JSON.stringify(body)).toEqual({ drop: 'bad_body' });
    }
    expect(open.decode('A'.repeat(MAX_ADVERT_CHARS + 1))).toEqual({ drop: 'too_large' });
  });

  it('finds d= among TXT strings (Buffers or strings) and refuses a record without one or one too long', () => {
    expect(advertPayload([Buffer.from('v=1'), Buffer.from('d=abc')])).toBe('abc');
    expect(advertPayload(['v=1', 'd=xyz'])).toBe('xyz');
    expect(advertPayload('d=solo')).toBe('solo');
    expect(advertPayload([Buffer.from('v=1')])).toEqual({ drop: 'no_payload' });
    expect(advertPayload(undefined)).toEqual({ drop: 'no_payload' });
    expect(advertPayload(Array.from({ length: 4 }, () => 'x'.repeat(250)))).toEqual({ drop: 'too_large' });
  });

  it('believes only sources on a LAN: private, link-local and CGNAT IPv4, link-local and unique-local IPv6', () => {
    for (const ok of ['192.168.1.10', '10.0.0.2', '172.16.5.5', '169.254.1.1', '100.64.0.1', '::ffff:192.168.1.10', 'fe80::1', 'fd12::3']) expect(isLanSource(ok), ok).toBe(true);
    for (const bad of ['203.0.113.5', '8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:8.8.8.8', 'not-an-ip', '']) expect(isLanSource(bad), bad).toBe(false);
  });
});
