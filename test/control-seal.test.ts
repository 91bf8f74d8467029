import { describe, expect, it } from 'vitest';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { DatagramType, HEADER_BYTES, MAX_DATAGRAM_BYTES, MODE_OPEN, REQUEST_TYPES, TAG_BYTES } from '../shared/protocol/datagram.js';
import { bytes } from './support/datagram-samples.js';

const key = generateNetworkKey();
const sealed = new DatagramSeal(key);
const open = new DatagramSeal(null);
const body = bytes(60, 42);

describe('datagram seal', () => {
  it('round-trips sealed and open datagrams; a sealed body is not readable on the wire', () => {
    const datagram = sealed.seal(DatagramType.LOOKUP, 0, body);
    expect(datagram.length).toBe(HEADER_BYTES + body.length + TAG_BYTES);
    expect(datagram.includes(body.subarray(0, 8))).toBe(false);
    expect(sealed.open(datagram)).toEqual({ type: DatagramType.LOOKUP, flags: 0, body });
    // Another instance from the same key (another member) opens it too.
    expect(new DatagramSeal(key).open(datagram)).toEqual({ type: DatagramType.LOOKUP, flags: 0, body });

    const plain = open.seal(DatagramType.ANNOUNCE, 1, body);
    expect(plain.length).toBe(HEADER_BYTES + body.length);
    expect(plain[1]).toBe(MODE_OPEN);
    expect(open.open(plain)).toEqual({ type: DatagramType.ANNOUNCE, flags: 1, body });
  });

  it('uses a fresh salt per datagram: the same body never seals to the same bytes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(sealed.seal(DatagramType.HEARTBEAT, 0, body).toString('hex'));
    expect(seen.size).toBe(1000);
  });

  it('drops a datagram with any single bit flipped (header, body or tag), and a forged one is counted as forged', () => {
    const datagram = sealed.seal(DatagramType.LOOKUP, 0, body);
    for (let bit = 0; bit < datagram.length * 8; bit++) {
      const copy = Buffer.from(datagram);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      const result = sealed.open(copy);
      const byte = bit >> 3;
      // The version, mode and type bytes are refused on sight, before the tag; every other bit fails the tag.
      const expected = byte === 0 ? 'bad_version' : byte === 1 ? ['wrong_mode', 'bad_field'] : byte === 2 ? ['bad_type', 'forged'] : 'forged';
      expect(result, `bit ${bit}`).toHaveProperty('drop');
      if (Array.isArray(expected)) expect(expected, `bit ${bit}`).toContain((result as { drop: string }).drop);
      else expect(result, `bit ${bit}`).toEqual({ drop: expected });
    }
  });

  it('drops a datagram sealed under another network key as forged', () => {
    const other = new DatagramSeal(generateNetworkKey());
    expect(sealed.open(other.seal(DatagramType.INIT, 0, body))).toEqual({ drop: 'forged' });
  });

  it('drops every truncation and oversized datagrams with the right reason, without throwing', () => {
    const datagram = sealed.seal(DatagramType.LOOKUP, 0, body);
    for (let n = 0; n < datagram.length; n++) {
      const expected = n < HEADER_BYTES + TAG_BYTES ? 'truncated' : 'forged';
      expect(sealed.open(datagram.subarray(0, n)), `length ${n}`).toEqual({ drop: expected });
    }
    const plain = open.seal(DatagramType.LOOKUP, 0, body);
    for (let n = 0; n < HEADER_BYTES; n++) expect(open.open(plain.subarray(0, n))).toEqual({ drop: 'truncated' });
    expect(sealed.open(Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 2))).toEqual({ drop: 'too_large' });
    expect(open.open(Buffer.alloc(64 * 1024))).toEqual({ drop: 'too_large' });
    // The largest legal datagram still opens.
    const biggest = sealed.seal(DatagramType.ANNOUNCE, 0, Buffer.alloc(MAX_DATAGRAM_BYTES - HEADER_BYTES - TAG_BYTES));
    expect(biggest.length).toBe(MAX_DATAGRAM_BYTES);
    expect(sealed.open(biggest)).toHaveProperty('body');
    expect(() => sealed.seal(DatagramType.ANNOUNCE, 0, Buffer.alloc(MAX_DATAGRAM_BYTES))).toThrow(RangeError);
  });

  it('drops the other mode as wrong_mode, a bad version, an open datagram with a salt, and types it does not accept', () => {
    expect(sealed.open(open.seal(DatagramType.INIT, 0, body))).toEqual({ drop: 'wrong_mode' });
    expect(open.open(sealed.seal(DatagramType.INIT, 0, body))).toEqual({ drop: 'wrong_mode' });
    const v1 = open.seal(DatagramType.INIT, 0, body);
    v1[0] = 1;
    expect(open.open(v1)).toEqual({ drop: 'bad_version' });
    const salted = open.seal(DatagramType.INIT, 0, body);
    salted[10] = 1;
    expect(open.open(salted)).toEqual({ drop: 'bad_field' });
    expect(open.open(open.seal(0x42, 0, body))).toEqual({ drop: 'bad_type' });
    const tracker = new DatagramSeal(key, { accept: REQUEST_TYPES });
    expect(tracker.open(sealed.seal(DatagramType.PEERS, 0, body))).toEqual({ drop: 'bad_type' });
    expect(tracker.open(sealed.seal(DatagramType.LOOKUP, 0, body))).toHaveProperty('body');
  });

  it('measures seal + open per second (printed, not asserted)', () => {
    const budgetMs = 1000;
    const lookup = bytes(60, 7);
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < budgetMs) {
      for (let i = 0; i < 100; i++) sealed.open(sealed.seal(DatagramType.LOOKUP, 0, lookup));
      n += 100;
    }
    const perSecond = Math.round(n / ((performance.now() - start) / 1000));
    let forged = 0;
    const bad = sealed.seal(DatagramType.LOOKUP, 0, lookup);
    bad[30]! ^= 1;
    const forgedStart = performance.now();
    while (performance.now() - forgedStart < budgetMs / 2) {
      for (let i = 0; i < 100; i++) sealed.open(bad);
      forged += 100;
    }
    const forgedPerSecond = Math.round(forged / ((performance.now() - forgedStart) / 1000));
    console.log(`datagram seal: ${perSecond} seal+open pairs/s (96-byte LOOKUP, one core); ${forgedPerSecond} forged datagrams refused/s`);
    expect(perSecond).toBeGreaterThan(0);
  });
});
