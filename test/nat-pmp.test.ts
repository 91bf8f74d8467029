import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NatPmpError, natPmpExternalAddress, natPmpMapTcp } from '../electron/engine/nat/nat-pmp.js';

/**
 * The NAT-PMP client against a scripted gateway on 127.0.0.1:5351 (a real miniupnpd answers it in
 * the NAT lab: test/nat-traversal.test.ts). Here: the exact answers it accepts, and a refusal
 * that is shorter than a success is reported at once, not after every retransmission.
 */
const PORT = 5351;
let gateway: dgram.Socket | undefined;

async function fakeGateway(answer: (req: Buffer) => Buffer | undefined): Promise<void> {
  gateway = dgram.createSocket('udp4');
  gateway.on('message', (req, rinfo) => {
    const out = answer(req);
    if (out) gateway!.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => gateway!.bind(PORT, '127.0.0.1', resolve));
}

afterEach(async () => {
  await new Promise<void>((resolve) => (gateway ? gateway.close(() => resolve()) : resolve()));
  gateway = undefined;
});

describe('NAT-PMP client', () => {
  it('maps a TCP port and reads the public address from exact answers', async () => {
    await fakeGateway((req) => {
      if (req[1] === 0) return Buffer.from([0, 128, 0, 0, 0, 0, 0, 9, 203, 0, 113, 7]);
      const out = Buffer.alloc(16);
      out[1] = 130;
      out.writeUInt32BE(9, 4);
      req.copy(out, 8, 4, 6); // internal port
      out.writeUInt16BE(40_001, 10); // the router picks another external port
      out.writeUInt32BE(7200, 12);
      return out;
    });
    expect(await natPmpExternalAddress('127.0.0.1')).toBe('203.0.113.7');
    expect(await natPmpMapTcp('127.0.0.1', 5000, 5000, 3600)).toEqual({ externalPort: 40_001, lifetime: 7200 });
  });

  it('reports a short refusal at once, with its reason', async () => {
    await fakeGateway((req) => Buffer.from([0, 128 + req[1]!, 0, 2, 0, 0, 0, 1])); // result 2: not authorized
    const started = Date.now();
    await expect(natPmpMapTcp('127.0.0.1', 5000, 5000, 3600)).rejects.toThrow(NatPmpError);
    await expect(natPmpMapTcp('127.0.0.1', 5000, 5000, 3600)).rejects.toThrow(/not authorized or refused/);
    expect(Date.now() - started).toBeLessThan(2000); // not the ~3.75 s of unanswered retransmissions
  });

  it('ignores answers of the wrong size or opcode, and gives up when nothing valid comes', async () => {
    await fakeGateway((req) => Buffer.from([0, 128 + req[1]!, 0, 0, 0, 0])); // too short to be anything
    expect(await natPmpExternalAddress('127.0.0.1')).toBeUndefined();
  }, 10_000);
});
