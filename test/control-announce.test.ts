import { describe, expect, it } from 'vitest';
import { ANNOUNCE_ENTRY_BUDGET, announceBatches } from '../electron/engine/control/announce-codec.js';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { isDrop, openBody, sealBody, type AnnounceBody } from '../electron/engine/control/datagram-codec.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { ANNOUNCE_ADD_FIXED_BYTES, ANNOUNCE_REMOVE_FIXED_BYTES, DatagramType, MAX_DATAGRAM_BYTES } from '../shared/protocol/datagram.js';
import type { FileAnnouncement } from '../shared/protocol/messages.js';
import { bytes, hashOf } from './support/datagram-samples.js';
import { prng } from './support/prng.js';

const sealed = new DatagramSeal(generateNetworkKey());
const peerId = bytes(16, 1).toString('hex');
const token = bytes(8, 2);

/** A path of `length` UTF-8 bytes (segments of at most 100), with a two-byte character, unique by `i`. */
function pathOf(i: number, length: number): string {
  const base = `d${i}/é`;
  const n = Math.max(0, length - Buffer.byteLength(base));
  return base + Array.from({ length: n }, (_, k) => (k % 100 === 99 && k < n - 1 ? '/' : 'x')).join('');
}

function randomShare(seed: number, files: number, removes: number): { files: FileAnnouncement[]; removes: string[] } {
  const random = prng(seed);
  // Mostly short names, some long ones, a few too long for any datagram.
  const length = () => {
    const r = random();
    return r < 0.8 ? 8 + Math.floor(random() * 80) : r < 0.98 ? 100 + Math.floor(random() * 900) : 1100 + Math.floor(random() * 3000);
  };
  return {
    files: Array.from({ length: files }, (_, i) => ({ path: pathOf(i, length()), size: Math.floor(random() * 2 ** 40), hash: hashOf(`f${seed}/${i}`) })),
    removes: Array.from({ length: removes }, (_, i) => pathOf(files + i, length())),
  };
}

describe('announce batches', () => {
  it('never builds a datagram over 1200 bytes, loses no entry, and sets aside only what fits no datagram', () => {
    for (const seed of [1, 2, 3]) {
      const share = randomShare(seed, 3000, 500);
      const { batches, oversized } = announceBatches(share.files, share.removes);
      const added: FileAnnouncement[] = [];
      const removed: string[] = [];
      batches.forEach((batch, i) => {
        const msg: AnnounceBody = { type: DatagramType.ANNOUNCE, peerId, token, seq: i + 1, reset: i === 0, ...batch };
        const datagram = sealBody(sealed, msg);
        expect(datagram.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
        const decoded = openBody(sealed, datagram);
        if (isDrop(decoded) || decoded.type !== DatagramType.ANNOUNCE) return expect.fail(`batch ${i}: ${JSON.stringify(decoded)}`);
        added.push(...decoded.add);
        removed.push(...decoded.remove);
      });
      const key = (f: FileAnnouncement) => `${f.path}\0${f.size}\0${f.hash}`;
      expect([...added, ...oversized.add].map(key).sort()).toEqual(share.files.map(key).sort());
      expect([...removed, ...oversized.remove].sort()).toEqual([...share.removes].sort());
      for (const file of oversized.add) expect(ANNOUNCE_ADD_FIXED_BYTES + Buffer.byteLength(file.path)).toBeGreaterThan(ANNOUNCE_ENTRY_BUDGET);
      for (const path of oversized.remove) expect(ANNOUNCE_REMOVE_FIXED_BYTES + Buffer.byteLength(path)).toBeGreaterThan(ANNOUNCE_ENTRY_BUDGET);

      // Close to the fewest datagrams possible: within 11/9 of the byte lower bound, plus one.
      let bytesNeeded = 0;
      for (const file of share.files) if (!oversized.add.includes(file)) bytesNeeded += ANNOUNCE_ADD_FIXED_BYTES + Buffer.byteLength(file.path);
      for (const path of share.removes) if (!oversized.remove.includes(path)) bytesNeeded += ANNOUNCE_REMOVE_FIXED_BYTES + Buffer.byteLength(path);
      const lowerBound = Math.ceil(bytesNeeded / ANNOUNCE_ENTRY_BUDGET);
      expect(batches.length).toBeLessThanOrEqual(Math.ceil((lowerBound * 11) / 9) + 1);
      console.log(`announce batches (seed ${seed}): ${batches.length} datagrams for ${share.files.length + share.removes.length} entries, lower bound ${lowerBound}, ${oversized.add.length + oversized.remove.length} oversized`);
    }
  });

  it('packs an entry that exactly fills a datagram, and sets aside one byte more', () => {
    const fits = { path: pathOf(0, ANNOUNCE_ENTRY_BUDGET - ANNOUNCE_ADD_FIXED_BYTES), size: 1, hash: hashOf('fits') };
    const over = { path: pathOf(1, ANNOUNCE_ENTRY_BUDGET - ANNOUNCE_ADD_FIXED_BYTES + 1), size: 1, hash: hashOf('over') };
    const { batches, oversized } = announceBatches([fits, over], []);
    expect(batches).toEqual([{ add: [fits], remove: [] }]);
    expect(oversized).toEqual({ add: [over], remove: [] });
    const datagram = sealBody(sealed, { type: DatagramType.ANNOUNCE, peerId, token, seq: 1, reset: false, ...batches[0]! });
    expect(datagram.length).toBe(MAX_DATAGRAM_BYTES);
  });

  it('returns no batches for nothing, and splits 100,000 files quickly', () => {
    expect(announceBatches([], [])).toEqual({ batches: [], oversized: { add: [], remove: [] } });
    const files = Array.from({ length: 100_000 }, (_, i) => ({ path: `share/${i}.bin`, size: i, hash: hashOf(`${i}`) }));
    const start = performance.now();
    const { batches } = announceBatches(files, []);
    const ms = performance.now() - start;
    expect(batches.reduce((n, b) => n + b.add.length, 0)).toBe(100_000);
    console.log(`announce batches: 100,000 files in ${batches.length} datagrams, split in ${ms.toFixed(0)} ms`);
  });
});
