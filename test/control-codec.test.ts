import { describe, expect, it } from 'vitest';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { decodeBody, encodeBody, isDrop, openBody, sealBody, type DatagramBody } from '../electron/engine/control/datagram-codec.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import {
  ANNOUNCE_FIXED_BYTES,
  DATAGRAM_STATUS,
  DatagramType,
  HEADER_BYTES,
  INIT_MIN_DATAGRAM_BYTES,
  MAX_DATAGRAM_BYTES,
  PEER_REF_BYTES,
} from '../shared/protocol/datagram.js';
import { MAX_FILE_SIZE } from '../shared/protocol/limits.js';
import { bytes, hashOf, sampleBodies } from './support/datagram-samples.js';

const sealed = new DatagramSeal(generateNetworkKey());
const open = new DatagramSeal(null);
const peerId = bytes(16, 1).toString('hex');
const token = bytes(8, 2);

function decode(msg: DatagramBody): ReturnType<typeof decodeBody> {
  const { type, flags, body } = encodeBody(msg);
  return decodeBody(type, flags, body);
}

/** Encodes `msg`, lets `edit` change the body bytes, and decodes the result. */
function decodeEdited(msg: DatagramBody, edit: (body: Buffer) => unknown): ReturnType<typeof decodeBody> {
  const { type, flags, body } = encodeBody(msg);
  const edited = edit(body);
  return decodeBody(type, flags, Buffer.isBuffer(edited) ? edited : body);
}

describe('datagram codec', () => {
  it('round-trips every body type, sealed and open, each datagram within 1200 bytes', () => {
    for (const msg of sampleBodies()) {
      for (const seal of [sealed, open]) {
        const datagram = sealBody(seal, msg);
        expect(datagram.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
        expect(openBody(seal, datagram)).toEqual(msg);
      }
    }
  });

  it('pads INIT so that the reply to an unvalidated source is never the larger one', () => {
    const samples = sampleBodies();
    const init = samples.find((m) => m.type === DatagramType.INIT)!;
    const cookie = samples.find((m) => m.type === DatagramType.COOKIE)!;
    for (const seal of [sealed, open]) {
      expect(sealBody(seal, init).length).toBeGreaterThanOrEqual(INIT_MIN_DATAGRAM_BYTES);
      expect(sealBody(seal, cookie).length).toBeLessThan(sealBody(seal, init).length);
    }
  });

  it('refuses every truncation of every type as truncated, and an extra byte as bad_length', () => {
    for (const msg of sampleBodies()) {
      const { type, flags, body } = encodeBody(msg);
      for (let n = 0; n < body.length; n++) expect(decodeBody(type, flags, body.subarray(0, n)), `type ${type} cut to ${n}`).toEqual({ drop: 'truncated' });
      expect(decodeBody(type, flags, Buffer.concat([body, Buffer.from([0])]))).toMatchObject({ drop: 'bad_length' });
    }
  });

  it('refuses unknown types and flags on types that have none', () => {
    expect(decodeBody(0x08, 0, Buffer.alloc(28))).toEqual({ drop: 'bad_type' });
    const heartbeat = encodeBody({ type: DatagramType.HEARTBEAT, peerId, token, seq: 1 });
    expect(decodeBody(heartbeat.type, 1, heartbeat.body)).toMatchObject({ drop: 'bad_field' });
    const announce = encodeBody({ type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [], remove: [] });
    expect(decodeBody(announce.type, 0x02, announce.body)).toMatchObject({ drop: 'bad_field' });
    // JOIN has one flag, "offers to relay"; any other bit is refused.
    const join = sampleBodies().find((m) => m.type === DatagramType.JOIN)!;
    const encoded = encodeBody({ ...join, offersRelay: true } as DatagramBody);
    expect(encoded.flags).toBe(0x01);
    expect(decodeBody(encoded.type, 0x01, encoded.body)).toMatchObject({ offersRelay: true });
    expect(decodeBody(encoded.type, 0, encoded.body)).toMatchObject({ offersRelay: false });
    expect(decodeBody(encoded.type, 0x03, encoded.body)).toMatchObject({ drop: 'bad_field' });
  });

  it('validates fields: padding, seq, interval, status, address, counts, sizes, text', () => {
    const [init, , , welcome, announce, , ack, , heartbeat, , peers, , , error] = sampleBodies() as DatagramBody[];
    expect(decodeEdited(init!, (b) => void (b[40] = 1))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(heartbeat!, (b) => b.writeUInt32BE(0, 24))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(ack!, (b) => b.writeUInt32BE(99, 4))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(ack!, (b) => b.writeUInt32BE(30 * 60 * 1000 + 1, 4))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(ack!, (b) => void (b[16] = DATAGRAM_STATUS.length))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(welcome!, (b) => void b.fill(0, 20, 36))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(welcome!, (b) => b.writeUInt16BE(0, 36))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(peers!, (b) => void (b[44] = 33))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(peers!, (b) => b.writeUInt16BE(0, 45 + 32))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(peers!, (b) => b.writeUInt32BE(0x1001, 36))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(error!, (b) => void (b[4] = 0))).toMatchObject({ drop: 'bad_field' }); // 'ok' is not an error
    expect(decodeEdited(error!, (b) => void (b[6] = 0x1b))).toMatchObject({ drop: 'bad_field' }); // terminal escape
    expect(decodeEdited(error!, (b) => void (b[6] = 0xff))).toMatchObject({ drop: 'bad_field' }); // not UTF-8
    // An announce count larger than the entries present.
    expect(decodeEdited(announce!, (b) => b.writeUInt16BE(3, PEER_REF_BYTES))).toEqual({ drop: 'truncated' });
    // Size 2^44 + 1.
    expect(decodeEdited(announce!, (b) => b.writeUInt32BE(1, ANNOUNCE_FIXED_BYTES + 36))).toMatchObject({ drop: 'bad_field' });
    expect(MAX_FILE_SIZE).toBe(2 ** 44);
  });

  it('validates the rendezvous bodies: methods, roles, padding, ports, no connecting to oneself, dial-back results', () => {
    const samples = sampleBodies();
    const of = (type: number) => samples.find((m) => m.type === type)!;
    const connect = of(DatagramType.CONNECT);
    expect(decodeEdited(connect, (b) => void (b[PEER_REF_BYTES + 16] = 4))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(connect, (b) => void b.copy(b, PEER_REF_BYTES, 0, 16))).toMatchObject({ drop: 'bad_field' }); // target = itself
    expect(decodeEdited(of(DatagramType.CONNECTING), (b) => b.writeUInt32BE(0, 0))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(of(DatagramType.CONNECTING), (b) => void (b[5] = 0))).toMatchObject({ drop: 'bad_field' });
    const ring = of(DatagramType.RING);
    expect(decodeEdited(ring, (b) => b.writeUInt16BE(0, 16 + 1 + 16 + 16))).toMatchObject({ drop: 'bad_field' }); // a reversal to port 0
    expect(decodeEdited(ring, (b) => void b.fill(0, 33, 49))).toMatchObject({ drop: 'bad_field' }); // a reversal to ::
    const hello = of(DatagramType.PUNCH_HELLO);
    expect(decodeEdited(hello, (b) => void (b[16] = 2))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(hello, (b) => void (b[20] = 1))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(of(DatagramType.PUNCH_PEER), (b) => b.writeUInt16BE(0, 32))).toMatchObject({ drop: 'bad_field' });
    const reach = of(DatagramType.REACH);
    expect(decodeEdited(reach, (b) => void (b[0] = 3))).toMatchObject({ drop: 'bad_field' }); // neither reachable nor not
    expect(decodeEdited(reach, (b) => b.writeUInt16BE(0, 17))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(reach, (b) => void b.fill(0, 1, 17))).toMatchObject({ drop: 'bad_field' }); // dialled ::
    // A member relay joins two different members; CONNECTING names where the relay is.
    const relayOpen = of(DatagramType.RELAY_OPEN);
    expect(decodeEdited(relayOpen, (b) => void b.copy(b, 32, 16, 32))).toMatchObject({ drop: 'bad_field' });
    expect(samples.filter((m) => m.type === DatagramType.CONNECTING).map((m) => (m as { relayHost: string }).relayHost)).toEqual(['::', '::', '203.0.113.9']);
    // No amplification: the answer to CONNECT is never larger than the CONNECT.
    expect(sealBody(sealed, of(DatagramType.CONNECTING)).length).toBeLessThanOrEqual(sealBody(sealed, connect).length);
    // No amplification: the tracker's answer to a hello is never larger than the hello.
    expect(sealBody(sealed, of(DatagramType.PUNCH_PEER)).length).toBeLessThanOrEqual(sealBody(sealed, hello).length);
  });

  it('applies the path rules to announced and removed names', () => {
    const bad = ['../etc/passwd', '/abs', 'a//b', 'a/./b', 'C:evil', 'con.txt', 'dir/trailing.', 'a\\b', 'x\u0000y', '%2e%2e/x', '\uff0e\uff0e/x'];
    for (const path of bad) {
      const add = decode({ type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [{ path, size: 1, hash: hashOf(path) }], remove: [] });
      expect(add, path).toMatchObject({ drop: 'bad_field' });
      const remove = decode({ type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [], remove: [path] });
      expect(remove, path).toMatchObject({ drop: 'bad_field' });
    }
    // Invalid UTF-8 and an empty path.
    const msg: DatagramBody = { type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [], remove: ['ab'] };
    expect(decodeEdited(msg, (b) => void (b[ANNOUNCE_FIXED_BYTES + 2] = 0xc3))).toMatchObject({ drop: 'bad_field' });
    expect(decodeEdited(msg, (b) => Buffer.concat([b.subarray(0, PEER_REF_BYTES + 2), Buffer.from([0, 1, 0, 0, 0x61])]))).toMatchObject({ drop: 'bad_field' });
    // A leading BOM is kept as part of the name, not stripped.
    const bom = decode({ type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [], remove: ['\ufeffname'] });
    expect(bom).toMatchObject({ remove: ['\ufeffname'] });
  });

  it('refuses to encode fields that do not fit their slots', () => {
    const good = sampleBodies();
    const join = good.find((m) => m.type === DatagramType.JOIN)!;
    expect(() => encodeBody({ ...join, peerId: 'XYZ' } as DatagramBody)).toThrow(RangeError);
    expect(() => encodeBody({ ...join, publicKey: Buffer.alloc(31) } as DatagramBody)).toThrow(RangeError);
    expect(() => encodeBody({ ...join, listenPort: 70_000 } as DatagramBody)).toThrow(RangeError);
    expect(() => encodeBody({ type: DatagramType.HEARTBEAT, peerId, token, seq: 0 })).toThrow(RangeError);
    expect(() => encodeBody({ type: DatagramType.LOOKUP, peerId, token, seq: 1, hash: 'abc' })).toThrow(RangeError);
    expect(() => encodeBody({ type: DatagramType.ERROR, ref: 1, code: 'busy', message: 'x'.repeat(201) })).toThrow(RangeError);
    const tooMany = { type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, add: [], remove: Array.from({ length: 60 }, (_, i) => `${i}`.padEnd(20, 'x')) } as DatagramBody;
    expect(() => encodeBody(tooMany)).toThrow(RangeError);
  });

  it('a datagram carries exactly its header and body (open mode) or header, body and tag (sealed)', () => {
    const heartbeat: DatagramBody = { type: DatagramType.HEARTBEAT, peerId, token, seq: 9 };
    expect(sealBody(open, heartbeat).length).toBe(HEADER_BYTES + PEER_REF_BYTES);
    expect(sealBody(sealed, heartbeat).length).toBe(HEADER_BYTES + PEER_REF_BYTES + 16);
    expect(isDrop(openBody(open, sealBody(sealed, heartbeat)))).toBe(true);
  });
});
