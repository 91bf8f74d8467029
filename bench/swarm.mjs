// Swarm: several seeders feeding one downloader, and one seeder feeding eight downloaders
// at once, against the same transfers done one at a time. Every seeder's upload is capped
// (-limit-up) like a home uplink: on loopback an uncapped seeder is limited only by CPU,
// which says nothing about how a swarm spreads load. Downloaders have the same cap, keep
// seeding (-seed) once done, as BitTorrent peers do, and trade pieces while they download.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { P2PNetwork, randomFile } from './lib/p2p.mjs';
import { MiB, ratio } from './lib/stats.mjs';

const SIZES = {
  full: { bytes: 256 * MiB, capKiB: 32 * 1024, fanOut: { bytes: 64 * MiB } },
  quick: { bytes: 48 * MiB, capKiB: 16 * 1024, fanOut: { bytes: 16 * MiB } },
  smoke: { bytes: 4 * MiB, capKiB: 8 * 1024, fanOut: { bytes: 2 * MiB } },
};
const DOWNLOADERS = 8;
const SEEDERS = 4;

/** Starts `count` seeders of the same file, each in its own folder, capped at `capKiB`. */
async function seeders(net, file, count, capKiB, work) {
  for (let i = 0; i < count; i++) {
    const folder = path.join(work, `seed-${i}`);
    await mkdir(folder, { recursive: true });
    await copyFile(file, path.join(folder, 'payload.bin'));
    await net.seeder(folder, ['-limit-up', String(capKiB)]);
  }
}

async function manyToOne(bytes, seederCount, capKiB, work) {
  const net = new P2PNetwork(path.join(work), { secure: true });
  const file = path.join(work, 'source.bin');
  await randomFile(file, bytes);
  try {
    await net.tracker();
    await seeders(net, file, seederCount, capKiB, path.join(work, `m${seederCount}`));
    const get = await net.get('payload.bin', ['-max-peers', String(seederCount)]);
    return await get.done;
  } finally {
    await net.stop();
    await rm(path.join(work, `m${seederCount}`), { recursive: true, force: true });
  }
}

async function fanOut(bytes, capKiB, work, together) {
  const net = new P2PNetwork(work, { secure: true });
  const file = path.join(work, 'fan.bin');
  await randomFile(file, bytes);
  try {
    await net.tracker();
    await seeders(net, file, 1, capKiB, path.join(work, together ? 'fan-together' : 'fan-one'));
    const started = performance.now();
    if (together) {
      const gets = [];
      for (let i = 0; i < DOWNLOADERS; i++) gets.push(await net.get('payload.bin', ['-max-peers', '8', '-limit-up', String(capKiB)], { seed: true }));
      const each = await Promise.all(gets.map((g) => g.done));
      return { totalMs: performance.now() - started, slowestMs: Math.max(...each) };
    }
    for (let i = 0; i < DOWNLOADERS; i++) {
      const get = await net.get('payload.bin');
      await get.done;
      await rm(get.folder, { recursive: true, force: true });
    }
    return { totalMs: performance.now() - started };
  } finally {
    await net.stop();
  }
}

export async function run({ mode = 'quick', work, log = console.log }) {
  const { bytes, capKiB, fanOut: fan } = SIZES[mode];
  const capMiB = capKiB / 1024;
  const one = await manyToOne(bytes, 1, capKiB, work);
  const four = await manyToOne(bytes, SEEDERS, capKiB, work);
  log('  swarm: many-to-one done');
  const sequential = await fanOut(fan.bytes, capKiB, work, false);
  const together = await fanOut(fan.bytes, capKiB, work, true);
  const result = {
    seederCapMiBps: capMiB,
    manyToOne: { bytes, oneSeederMs: Math.round(one), fourSeedersMs: Math.round(four), speedup: ratio(one, four) },
    oneToEight: { bytes: fan.bytes, sequentialMs: Math.round(sequential.totalMs), togetherMs: Math.round(together.totalMs), speedup: ratio(sequential.totalMs, together.totalMs) },
  };
  const table = [
    [`1 seeder → 1, ${bytes / MiB} MiB (reference)`, result.manyToOne.oneSeederMs, 'ms'],
    [`${SEEDERS} seeders → 1, ${bytes / MiB} MiB`, result.manyToOne.fourSeedersMs, 'ms', `${result.manyToOne.speedup}× faster`],
    [`1 seeder → ${DOWNLOADERS} one at a time, ${fan.bytes / MiB} MiB (reference)`, result.oneToEight.sequentialMs, 'ms'],
    [`1 seeder → ${DOWNLOADERS} at once`, result.oneToEight.togetherMs, 'ms', `${result.oneToEight.speedup}× faster`],
  ];
  return { title: `Swarm, encrypted, every seeder capped at ${capMiB} MiB/s upload`, table, ...result };
}
