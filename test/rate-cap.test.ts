/**
 * A download under a cap, over real sockets: the rate it reports never reads
 * above the cap, the engine's total is the sum of the downloads' rates, and a
 * pause drops both to 0 at once.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixtures, announced, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';

const MiB = 1024 * 1024;
const CAP = 4 * MiB;
/** Arrivals jitter on a shared machine; the cap itself is exact. */
const TOLERANCE = 0.08;
const fx = new Fixtures();
afterEach(() => fx.cleanup());

describe('rate under a download cap', () => {
  it('no sample of the reported rate exceeds the cap; the total is the sum of the rows; a pause is 0 at once', async () => {
    const tracker = await fx.tracker();
    const seeder = await fx.peer(tracker.port);
    const data = await writeRandomFile(path.join(seeder.folder, 'capped.bin'), 14 * MiB);
    await seeder.engine.folderIndex(seeder.folder)!.idle();
    await announced(seeder.engine);
    const leecher = await fx.peer(tracker.port, { downloadLimit: CAP });
    const item = await eventually(async () => (await leecher.engine.list({ query: 'capped.bin' })).items[0], 10_000, 'listing');

    const download = leecher.engine.download(item);
    const samples: Array<{ at: number; rate: number; total: number }> = [];
    const started = Date.now();
    const sampler = setInterval(() => {
      const rate = download.progress().downloadRate;
      samples.push({ at: Date.now() - started, rate, total: leecher.engine.rates().download });
    }, 50);
    try {
      const running = download.run().catch((e: unknown) => e);
      await eventually(() => download.bytesDone >= 6 * MiB, 20_000, 'six pieces');
      download.pause();
      // Paused: the row and the total say 0 at once, not a falling average.
      expect(download.progress().downloadRate).toBe(0);
      expect(leecher.engine.rates().download).toBe(0);
      await running;
      const resumed = leecher.engine.download(item);
      expect(resumed).toBe(download);
      // Right after the resume the window is empty: no ETA guessed from it.
      const again = download.run();
      await eventually(() => download.state === 'downloading', 10_000, 'downloading again');
      expect(download.progress().etaSeconds).toBeNull();
      await again;
    } finally {
      clearInterval(sampler);
    }
    expect(await sha256File(download.finalPath)).toBe(sha256(data));
    const moving = samples.filter((s) => s.rate > 0);
    expect(moving.length).toBeGreaterThan(20);
    const worst = Math.max(...moving.map((s) => s.rate));
    expect(worst, `worst reading ${(worst / MiB).toFixed(2)} MiB/s`).toBeLessThanOrEqual(CAP * (1 + TOLERANCE));
    for (const s of samples) expect(s.total).toBe(s.rate);
    // The cap is a cap, not a much lower rate: 14 MiB at 4 MiB/s with a pause in between.
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(((14 - 1.5) / 4) * 1000);
  }, 40_000);
});
