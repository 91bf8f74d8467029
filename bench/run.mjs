// npm run bench [-- --quick]: runs each benchmark, prints a table, writes bench/results.json.
// Every figure stands beside a reference measured in the same run on the same machine.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const CONFIG = QUICK
  ? { fileBytes: 128 * MiB, runs: 1, smallFiles: 1000, bigIndexBytes: 256 * MiB }
  : { fileBytes: 1024 * MiB, runs: 3, smallFiles: 10_000, bigIndexBytes: 2048 * MiB };
const CLI = { tracker: path.join(ROOT, 'dist/electron/cli/p2ptracker.js'), client: path.join(ROOT, 'dist/electron/cli/p2pclient.js') };
const KEY = randomBytes(32).toString('base64url');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);

function start(script, args, env = {}) {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const waitFor = (re, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const tick = () => {
        const m = out.match(re);
        if (m) return resolve(m);
        if (child.exitCode !== null) return reject(new Error(`exited early: ${out}`));
        if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${re}: ${out}`));
        setTimeout(tick, 20);
      };
      tick();
    });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, waitFor, exited, output: () => out };
}

async function randomFile(file, bytes) {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 4 * MiB) {
    if (!out.write(randomBytes(Math.min(4 * MiB, left)))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

async function referenceStream(mode, file, dest) {
  const server = start(path.join(ROOT, 'bench/stream-reference.mjs'), ['serve', mode, '0', file]);
  const port = Number((await server.waitFor(/ready (\d+)/))[1]);
  const client = start(path.join(ROOT, 'bench/stream-reference.mjs'), ['fetch', mode, String(port), dest]);
  await client.exited;
  server.child.kill();
  await rm(dest, { force: true });
  return JSON.parse(client.output().trim().split('\n').at(-1)).ms;
}

async function ourTransfer(secure, seedDir, work) {
  const keyArgs = secure ? [] : ['-open'];
  const env = secure ? { P2P_KEY: KEY } : {};
  const tracker = start(CLI.tracker, ['-port', '0', '-host', '127.0.0.1', ...keyArgs], { ...env, P2P_DATA_DIR: path.join(work, 'tracker-data') });
  const trackerPort = (await tracker.waitFor(/listening on [^:]+:(\d+)/))[1];
  const seeder = start(CLI.client, ['-folder', seedDir, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, ...keyArgs], { ...env, P2P_DATA_DIR: path.join(work, 'seed-data') });
  await seeder.waitFor(/listening on port/, 600_000);
  const dest = await mkdtemp(path.join(work, 'dest-'));
  const started = performance.now();
  const get = start(CLI.client, ['-folder', dest, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, '-get', 'payload.bin', '-quiet', ...keyArgs], { ...env, P2P_DATA_DIR: path.join(dest, '.data') });
  const code = await get.exited;
  const ms = performance.now() - started;
  seeder.child.kill();
  tracker.child.kill();
  await rm(dest, { recursive: true, force: true });
  if (code !== 0) throw new Error(`download failed: ${get.output()}`);
  return ms;
}

async function transferBenchmark(work) {
  const seedDir = path.join(work, 'seed');
  const file = path.join(seedDir, 'payload.bin');
  await randomFile(file, CONFIG.fileBytes);
  const rows = {};
  for (const [name, run] of [
    ['plain TCP stream', () => referenceStream('tcp', file, path.join(work, 'ref.bin'))],
    ['plain TLS 1.3 stream', () => referenceStream('tls', file, path.join(work, 'ref.bin'))],
    ['ours, open mode (CLI -get)', () => ourTransfer(false, seedDir, work)],
    ['ours, encrypted (CLI -get)', () => ourTransfer(true, seedDir, work)],
  ]) {
    const times = [];
    for (let i = 0; i < CONFIG.runs; i++) times.push(await run());
    rows[name] = { medianMs: Math.round(median(times)), mbPerS: Math.round(mbps(CONFIG.fileBytes, median(times))), runs: times.map(Math.round) };
  }
  return {
    fileBytes: CONFIG.fileBytes,
    rows,
    ratios: {
      openVsTcp: +(rows['ours, open mode (CLI -get)'].mbPerS / rows['plain TCP stream'].mbPerS).toFixed(2),
      encryptedVsTls: +(rows['ours, encrypted (CLI -get)'].mbPerS / rows['plain TLS 1.3 stream'].mbPerS).toFixed(2),
    },
  };
}

async function indexingBenchmark(work) {
  const folder = path.join(work, 'index');
  for (let i = 0; i < CONFIG.smallFiles; i++) await writeFileSmall(path.join(folder, `d${i % 100}`, `f${i}.txt`), 512 + (i % 4096));
  await randomFile(path.join(folder, 'big.bin'), CONFIG.bigIndexBytes);
  const t0 = performance.now();
  execFileSync('sh', ['-c', `find "${folder}" -type f -print0 | xargs -0 sha256sum > /dev/null`]);
  const sha256sumMs = performance.now() - t0;
  const { FolderIndex } = await import(path.join(ROOT, 'dist/electron/engine/index/folder-index.js'));
  const cacheFile = path.join(work, 'cache.json');
  const cold = new FolderIndex({ root: folder, cacheFile });
  const t1 = performance.now();
  await cold.start();
  const coldMs = performance.now() - t1;
  await cold.stop();
  const warm = new FolderIndex({ root: folder, cacheFile });
  const t2 = performance.now();
  await warm.start();
  const warmMs = performance.now() - t2;
  await warm.stop();
  return {
    files: CONFIG.smallFiles + 1,
    bytes: CONFIG.bigIndexBytes,
    rows: {
      'sha256sum (coreutils)': { ms: Math.round(sha256sumMs) },
      'ours, cold (hash everything)': { ms: Math.round(coldMs) },
      'ours, warm restart (hash cache)': { ms: Math.round(warmMs) },
    },
    ratios: { coldVsSha256sum: +(coldMs / sha256sumMs).toFixed(2), warmVsCold: +(warmMs / coldMs).toFixed(3) },
  };
}

async function writeFileSmall(file, bytes) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, randomBytes(bytes));
}

const work = await mkdtemp(path.join(os.tmpdir(), 'p2p-bench-'));
try {
  const results = { machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version }, quick: QUICK, at: new Date().toISOString() };
  results.transfer = await transferBenchmark(work);
  results.indexing = await indexingBenchmark(work);
  console.log('\nTransfer on loopback, one file,', CONFIG.fileBytes / MiB, 'MiB (median of', CONFIG.runs, ')');
  for (const [name, r] of Object.entries(results.transfer.rows)) console.log(`  ${name.padEnd(30)} ${String(r.mbPerS).padStart(6)} MB/s  (${r.medianMs} ms)`);
  console.log(`  ratios: open/TCP ${results.transfer.ratios.openVsTcp}, encrypted/TLS ${results.transfer.ratios.encryptedVsTls}`);
  console.log(`\nIndexing ${results.indexing.files} files + ${CONFIG.bigIndexBytes / MiB} MiB`);
  for (const [name, r] of Object.entries(results.indexing.rows)) console.log(`  ${name.padEnd(34)} ${String(r.ms).padStart(7)} ms`);
  console.log(`  ratios: cold/sha256sum ${results.indexing.ratios.coldVsSha256sum}, warm/cold ${results.indexing.ratios.warmVsCold}`);
  await writeFile(path.join(ROOT, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
