// Indexing: hash a folder of many small files plus one large file with our folder index,
// beside coreutils' sha256sum over the same files; then a restart with a warm hash cache.
// sha256sum hashes each file once with one process; we compute per-piece hashes and the
// content hash, keep a hash cache, and watch the folder.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DIST } from '../test/support/processes.mjs';
import { randomFile } from './lib/p2p.mjs';
import { MiB, ratio } from './lib/stats.mjs';

const SIZES = { full: { small: 10_000, bigBytes: 2048 * MiB }, quick: { small: 1000, bigBytes: 256 * MiB }, smoke: { small: 50, bigBytes: 4 * MiB } };

/** Flushes the page cache when allowed (root), so "cold" means read from disk for both tools. */
function dropCaches() {
  try {
    execFileSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function timeIndex(folder, cacheFile) {
  const { FolderIndex } = await import(path.join(DIST, 'electron/engine/index/folder-index.js'));
  const index = new FolderIndex({ root: folder, cacheFile });
  const started = performance.now();
  await index.start();
  const ms = performance.now() - started;
  const files = index.list().length;
  await index.stop();
  return { ms, files };
}

export async function run({ mode = 'quick', work }) {
  const { small, bigBytes } = SIZES[mode];
  const folder = path.join(work, 'index');
  for (let i = 0; i < small; i++) {
    const file = path.join(folder, `d${i % 100}`, `f${i}.txt`);
    if (i < 100) await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(512 + (i % 4096)));
  }
  await randomFile(path.join(folder, 'big.bin'), bigBytes);
  const cacheFile = path.join(work, 'hash-cache.json');

  const flushed = dropCaches();
  let started = performance.now();
  execFileSync('sh', ['-c', `find "${folder}" -type f -print0 | xargs -0 sha256sum > /dev/null`]);
  const sha256sumMs = performance.now() - started;
  dropCaches();
  const cold = await timeIndex(folder, cacheFile);
  if (cold.files !== small + 1) throw new Error(`indexed ${cold.files} files, expected ${small + 1}`);
  const warm = await timeIndex(folder, cacheFile);
  started = performance.now();
  execFileSync('sh', ['-c', `find "${folder}" -type f -print0 | xargs -0 stat -c %s > /dev/null`]);
  const statMs = performance.now() - started;

  const rows = {
    'sha256sum (coreutils)': Math.round(sha256sumMs),
    'ours, cold': Math.round(cold.ms),
    'ours, warm restart (hash cache)': Math.round(warm.ms),
    'find + stat (a walk, no hashing)': Math.round(statMs),
  };
  const ratios = { coldVsSha256sum: ratio(cold.ms, sha256sumMs), warmVsCold: +(warm.ms / cold.ms).toFixed(3) };
  const note = flushed ? 'page cache dropped before each cold run' : 'page cache NOT dropped (not root)';
  return {
    title: `Indexing ${small.toLocaleString('en-US')} small files + one ${bigBytes / MiB} MiB file (${note})`,
    table: [
      ...Object.entries(rows).map(([name, ms]) => [name, ms, 'ms']),
      ['ratio ours cold / sha256sum', ratios.coldVsSha256sum, '×', 'lower is better'],
      ['ratio warm / cold', ratios.warmVsCold, '×', 'close to 0 is the goal'],
    ],
    files: small + 1,
    bigBytes,
    pageCacheDropped: flushed,
    rows,
    ratios,
  };
}
