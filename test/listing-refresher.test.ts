import { describe, expect, it } from 'vitest';
import { AUTO_COPY_MAX_PEERS, listingCopyGapMs } from '../electron/engine/tracker/listing-refresher.js';

/**
 * Every peer keeps its own copy of the full listing, so how often it refetches decides a
 * tracker's load in a big network: peers × listing size ÷ gap.
 */
describe('how often a peer copies the full listing', () => {
  it('every 15 s in a small network, less often as it grows, never on its own in a large one', () => {
    expect(listingCopyGapMs(0)).toBe(15_000);
    expect(listingCopyGapMs(150)).toBe(15_000);
    expect(listingCopyGapMs(1000)).toBe(100_000);
    expect(listingCopyGapMs(AUTO_COPY_MAX_PEERS)).toBe(1_000_000);
    expect(listingCopyGapMs(AUTO_COPY_MAX_PEERS + 1)).toBe(Infinity);
    expect(listingCopyGapMs(1_000_000)).toBe(Infinity);
  });

  it('keeps the copies all peers fetch together bounded: at most ~1 per 100 ms per tracker below the cap', () => {
    for (const online of [10, 100, 1000, 5000, AUTO_COPY_MAX_PEERS]) {
      const copiesPerSecond = online / (listingCopyGapMs(online) / 1000);
      expect(copiesPerSecond, `${online} peers`).toBeLessThanOrEqual(10);
    }
  });
});
