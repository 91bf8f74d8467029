import { describe, expect, it } from 'vitest';
import { SourceLimiter } from '../electron/engine/control/source-limiter.js';
import { DropCounters } from '../electron/engine/control/drop-counters.js';
import { DROP_REASONS } from '../shared/protocol/datagram.js';

describe('source limiter', () => {
  it('lets a burst through, then the steady rate, per source', () => {
    let now = 0;
    const limiter = new SourceLimiter({ ratePerSecond: 10, burst: 5, now: () => now });
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (limiter.allow('10.0.0.1')) allowed++;
    expect(allowed).toBe(5);
    // Another source is not affected by the first one's flood.
    expect(limiter.allow('10.0.0.2')).toBe(true);
    now += 1000; // one second refills 10 tokens, capped at the burst
    allowed = 0;
    for (let i = 0; i < 100; i++) if (limiter.allow('10.0.0.1')) allowed++;
    expect(allowed).toBe(5);
    now += 300;
    allowed = 0;
    for (let i = 0; i < 100; i++) if (limiter.allow('10.0.0.1')) allowed++;
    expect(allowed).toBe(3);
  });

  it('bounds memory under 100,000 distinct addresses, evicting the oldest', () => {
    let now = 0;
    const limiter = new SourceLimiter({ ratePerSecond: 1, burst: 1, maxSources: 10_000, now: () => now });
    expect(limiter.allow('192.0.2.1')).toBe(true);
    expect(limiter.allow('192.0.2.1')).toBe(false);
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      limiter.allow(`10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`);
      now += 0.001;
      largest = Math.max(largest, limiter.size);
    }
    expect(largest).toBe(10_000);
    expect(limiter.size).toBe(10_000);
    // The newest sources are still tracked: their buckets are empty.
    expect(limiter.allow('10.1.134.159')).toBe(false); // i = 99,999
  });

  it('refuses nonsensical options', () => {
    expect(() => new SourceLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new SourceLimiter({ maxSources: 0 })).toThrow(RangeError);
  });
});

describe('drop counters', () => {
  it('count by reason with a stable shape', () => {
    const counters = new DropCounters();
    counters.count('forged');
    counters.count('forged');
    counters.count('replayed');
    expect(counters.get('forged')).toBe(2);
    expect(counters.total).toBe(3);
    const snapshot = counters.snapshot();
    expect(Object.keys(snapshot)).toEqual([...DROP_REASONS]);
    expect(snapshot.replayed).toBe(1);
    counters.reset();
    expect(counters.total).toBe(0);
  });
});
