import { describe, expect, it } from 'vitest';
import { AddressCookies } from '../electron/engine/control/address-cookie.js';
import { ipBytes, parseDottedQuad, readIp, sourceKey } from '../electron/engine/control/ip-address.js';
import { COOKIE_BYTES } from '../shared/protocol/datagram.js';

const MINUTE = 60_000;

describe('address cookies', () => {
  it('are valid in the epoch they were issued in and the next, and not after', () => {
    let now = 1_750_000_000_000 - (1_750_000_000_000 % MINUTE); // the start of an epoch
    const cookies = new AddressCookies({ now: () => now });
    const cookie = cookies.issue('192.0.2.7', 40_000)!;
    expect(cookie.length).toBe(COOKIE_BYTES);
    expect(cookies.verify('192.0.2.7', 40_000, cookie)).toBe(true);
    now += MINUTE - 1;
    expect(cookies.verify('192.0.2.7', 40_000, cookie)).toBe(true);
    now += MINUTE; // in the next epoch: still accepted
    expect(cookies.verify('192.0.2.7', 40_000, cookie)).toBe(true);
    now += 1; // two epochs on
    expect(cookies.verify('192.0.2.7', 40_000, cookie)).toBe(false);
    // A cookie is never valid before its epoch either (a clock that went back).
    const later = cookies.issue('192.0.2.7', 40_000)!;
    now -= 2 * MINUTE;
    expect(cookies.verify('192.0.2.7', 40_000, later)).toBe(false);
  });

  it('are bound to the ip and the port', () => {
    const cookies = new AddressCookies();
    const cookie = cookies.issue('192.0.2.7', 40_000)!;
    expect(cookies.verify('192.0.2.8', 40_000, cookie)).toBe(false);
    expect(cookies.verify('192.0.2.7', 40_001, cookie)).toBe(false);
    expect(cookies.verify('::ffff:192.0.2.7', 40_000, cookie)).toBe(true); // the same address as dgram's udp6 reports it
    const v6 = cookies.issue('2001:db8::1', 5)!;
    expect(cookies.verify('2001:db8:0:0:0:0:0:1', 5, v6)).toBe(true);
    expect(cookies.verify('2001:db8::2', 5, v6)).toBe(false);
    expect(cookies.verify('192.0.2.7', 40_000, cookie.subarray(0, 7))).toBe(false);
    expect(cookies.verify('not-an-ip', 40_000, cookie)).toBe(false);
    expect(cookies.issue('example.com', 1)).toBeUndefined();
  });

  it('differ between tracker processes (per-process secret)', () => {
    const a = new AddressCookies({ now: () => 0 + MINUTE * 5 });
    const b = new AddressCookies({ now: () => 0 + MINUTE * 5 });
    expect(b.verify('10.0.0.1', 1, a.issue('10.0.0.1', 1)!)).toBe(false);
  });
});

describe('ip addresses', () => {
  it('parse and print IPv4, IPv4-mapped and IPv6 in their canonical forms', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', '127.0.0.1'],
      ['::ffff:10.1.2.3', '10.1.2.3'],
      ['::FFFF:10.1.2.3', '10.1.2.3'],
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, canonical] of cases) expect(readIp(ipBytes(input)!, 0), input).toBe(canonical);
    for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', ':::', 'g::1', '12345::', 'localhost', '1:2:3:4:5:6:7']) {
      expect(ipBytes(bad), bad).toBeUndefined();
    }
  });

  it('read only canonical dotted quads as IPv4 numbers', () => {
    const good: [string, number][] = [['0.0.0.0', 0], ['255.255.255.255', 0xffffffff], ['10.0.100.9', 0x0a006409], ['127.60.3.250', 0x7f3c03fa]];
    for (const [text, value] of good) expect(parseDottedQuad(text), text).toBe(value);
    const bad = ['', '.', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3', '1.2.3.4.5', '1.2.3.256', '1.2.3.1000', '01.2.3.4', '1.2.3.00', '1.2.3.-1', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.a', '::ffff:1.2.3.4', '１.2.3.4'];
    for (const text of bad) expect(parseDottedQuad(text), text).toBeUndefined();
    expect(parseDottedQuad('::ffff:1.2.3.4', 7)).toBe(0x01020304);
  });

  it('key rate limits by IPv4 address or IPv6 /64', () => {
    expect(sourceKey('::ffff:10.0.0.9')).toBe('10.0.0.9');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe(sourceKey('2001:db8:1:2:bbbb::2'));
    expect(sourceKey('2001:db8:1:2::1')).not.toBe(sourceKey('2001:db8:1:3::1'));
  });
});
