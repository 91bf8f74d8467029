/** The rate meter and the rate limiter: what a cap means, and what the views are told. */
import { describe, expect, it } from 'vitest';
import { BURST_SECONDS, RateLimiter } from '../electron/engine/peer/rate-limiter.js';
import { RateMeter, SETTLED_SPAN_MS, WINDOW_MS } from '../electron/engine/peer/rate-meter.js';

const MiB = 1024 * 1024;
const KiB = 1024;

describe('RateMeter', () => {
  it('reads paced pieces at exactly their pace, at any moment, and never above it', () => {
    const meter = new RateMeter();
    const t0 = 1_000_000;
    let max = 0;
    // 4 MiB/s in whole pieces, after a burst of one extra piece at the start (a full token bucket).
    meter.add(MiB, t0);
    for (let i = 0; i <= 40; i++) {
      meter.add(MiB, t0 + i * 250 + 1);
      for (let probe = 0; probe < 250; probe += 25) max = Math.max(max, meter.rate(t0 + i * 250 + 1 + probe));
    }
    expect(max).toBeLessThanOrEqual(4 * MiB * 1.001);
    expect(meter.rate(t0 + 40 * 250 + 1)).toBeCloseTo(4 * MiB, -3);
  });

  it('a slow stream (one piece every 4 s) still has its rate; a stopped one falls to 0', () => {
    const meter = new RateMeter();
    const t0 = 5_000_000;
    for (let i = 0; i < 4; i++) meter.add(MiB, t0 + i * 4000);
    expect(meter.rate(t0 + 12_000 + 3000)).toBeCloseTo(MiB / 4, -2);
    expect(meter.settled(t0 + 12_000)).toBe(true);
    expect(meter.rate(t0 + 12_000 + 10_000)).toBeLessThan(MiB / 4); // falls off once nothing comes
    expect(meter.rate(t0 + 12_000 + 60_000)).toBe(0);
  });

  it('is unsettled (no ETA) right after a reset, and 0 after it', () => {
    const meter = new RateMeter();
    const t0 = 9_000_000;
    for (let i = 0; i < 20; i++) meter.add(MiB, t0 + i * 200);
    expect(meter.settled(t0 + 3800)).toBe(true);
    meter.reset();
    expect(meter.rate(t0 + 3800)).toBe(0);
    meter.add(MiB, t0 + 4000);
    meter.add(MiB, t0 + 4200);
    expect(meter.settled(t0 + 4200)).toBe(false);
    // Two pieces a moment apart are not a rate of 5 MiB/s: the span has a floor of a second.
    expect(meter.rate(t0 + 4200)).toBeLessThanOrEqual(MiB);
    expect(SETTLED_SPAN_MS).toBeLessThan(WINDOW_MS);
  });
});

describe('RateLimiter', () => {
  it('its burst is a quarter second of the cap', () => {
    expect(new RateLimiter(4 * MiB).burst).toBe(4 * MiB * BURST_SECONDS);
    expect(BURST_SECONDS).toBeLessThanOrEqual(0.25);
  });

  it('no 1 s window of real time grants more than the cap and its quarter-second burst', async () => {
    const cap = 2 * MiB;
    const limiter = new RateLimiter(cap);
    const chunk = 64 * KiB;
    const grants: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 2500) {
      await limiter.take(chunk);
      grants.push(Date.now());
    }
    for (let i = 0; i < grants.length; i++) {
      let inWindow = 0;
      for (let j = i; j < grants.length && grants[j]! - grants[i]! < 1000; j++) inWindow += chunk;
      expect(inWindow).toBeLessThanOrEqual(cap * (1 + BURST_SECONDS) + chunk);
    }
    const total = grants.length * chunk;
    expect(total).toBeLessThanOrEqual(cap * 2.5 * 1.05 + cap * BURST_SECONDS + chunk);
    expect(total).toBeGreaterThan(cap * 2.5 * 0.8); // and the cap is not a much lower rate
  }, 10_000);

  it('pieces bigger than the burst go at the pace of the cap, none waits forever', async () => {
    const cap = 2 * MiB; // burst 512 KiB, pieces of 1 MiB
    const limiter = new RateLimiter(cap);
    const grants: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.take(MiB);
      grants.push(Date.now());
    }
    const gaps = grants.slice(1).map((t, i) => t - grants[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(450);
      expect(gap).toBeLessThan(900);
    }
  }, 10_000);
});
