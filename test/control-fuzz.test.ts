import { describe, expect, it } from 'vitest';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { decodeBody, encodeBody, isDrop, openBody, sealBody } from '../electron/engine/control/datagram-codec.js';
import { DropCounters } from '../electron/engine/control/drop-counters.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { DatagramType, DROP_REASONS, HEADER_BYTES, MODE_OPEN, MODE_SEALED } from '../shared/protocol/datagram.js';
import { sampleBodies } from './support/datagram-samples.js';
import { prng } from './support/prng.js';

const CASES = 20_000;
const BUDGET_MS = 15_000;
const TYPES = Object.values(DatagramType);

describe('datagram fuzz', () => {
  it(`${CASES} random and mutated datagrams: nothing throws, every result is a body or a known drop`, () => {
    const random = prng(0x13_2024);
    const int = (n: number) => Math.floor(random() * n);
    const sealed = new DatagramSeal(generateNetworkKey());
    const open = new DatagramSeal(null);
    const samples = sampleBodies();
    const valid = samples.flatMap((msg) => [sealBody(sealed, msg), sealBody(open, msg)]);
    const bodies = samples.map((msg) => encodeBody(msg));
    const counters = new DropCounters();
    let decoded = 0;
    const record = (result: ReturnType<typeof openBody>) => {
      if (isDrop(result)) {
        expect(DROP_REASONS).toContain(result.drop);
        counters.count(result.drop);
      } else {
        expect(TYPES).toContain(result.type);
        decoded++;
      }
    };

    const mutate = (source: Buffer): Buffer => {
      let out = Buffer.from(source);
      for (let k = 1 + int(4); k > 0; k--) {
        const r = random();
        if (r < 0.4 && out.length > 0) out[int(out.length)]! ^= 1 << int(8);
        else if (r < 0.6 && out.length > 0) out[int(out.length)] = int(256);
        else if (r < 0.75) out = out.subarray(0, int(out.length + 1));
        else if (r < 0.85) out = Buffer.concat([out, Buffer.from(Array.from({ length: int(40) }, () => int(256)))]);
        else if (out.length > 8) out.writeUInt16BE(int(0x10000), int(out.length - 1)); // lengths and counts
      }
      return out;
    };

    const start = performance.now();
    let n = 0;
    for (; n < CASES && performance.now() - start < BUDGET_MS; n++) {
      const kind = n % 4;
      if (kind === 0) {
        // A mutated real datagram, opened by both modes.
        const datagram = mutate(valid[int(valid.length)]!);
        record(openBody(sealed, datagram));
        record(openBody(open, datagram));
      } else if (kind === 1) {
        // Random bytes behind a plausible header, so they get past the cheap checks.
        const datagram = Buffer.from(Array.from({ length: int(1300) }, () => int(256)));
        if (datagram.length >= 4) {
          datagram[0] = 2;
          datagram[1] = random() < 0.5 ? MODE_SEALED : MODE_OPEN;
          datagram[2] = TYPES[int(TYPES.length)]!;
          datagram[3] = int(2);
          if (datagram[1] === MODE_OPEN) datagram.fill(0, 4, Math.min(HEADER_BYTES, datagram.length));
        }
        record(openBody(sealed, datagram));
        record(openBody(open, datagram));
      } else {
        // A mutated body straight into the decoder: what a member (who can seal anything) could send.
        const { type, flags, body } = bodies[int(bodies.length)]!;
        record(decodeBody(random() < 0.9 ? type : int(256), random() < 0.9 ? flags : int(256), mutate(body)));
      }
    }
    const ms = performance.now() - start;
    console.log(`datagram fuzz: ${n} cases in ${ms.toFixed(0)} ms; ${decoded} decoded, drops ${JSON.stringify(Object.fromEntries(Object.entries(counters.snapshot()).filter(([, c]) => c > 0)))}`);
    expect(n).toBeGreaterThan(1000);
    expect(counters.get('forged')).toBeGreaterThan(0);
    expect(counters.get('bad_field')).toBeGreaterThan(0);
  });
});
