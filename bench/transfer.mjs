// Transfer on loopback: one random file, one seeder to one downloader, through the CLI as a
// person runs it (process start, tracker lookup and the final fsync included), beside
// (a) the same file streamed disk to disk between two Node processes over plain TCP and
//     plain TLS 1.3, timed the same way (from process start to the file on disk), and
// (b) the tools people use: aria2c and webtorrent (bench/torrent-references.mjs).
import { stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, SpawnedProcess } from '../test/support/processes.mjs';
import { P2PNetwork, randomFile } from './lib/p2p.mjs';
import { MiB, mbPerS, median, ratio } from './lib/stats.mjs';
import { flushDirtyPages } from './lib/system.mjs';

const SIZES = { full: { bytes: 1024 * MiB, runs: 5 }, quick: { bytes: 128 * MiB, runs: 1 }, smoke: { bytes: 8 * MiB, runs: 1 } };
const REFERENCE = path.join(ROOT, 'bench/stream-reference.mjs');

async function streamOnce(mode, file, dest) {
  await flushDirtyPages();
  const server = SpawnedProcess.node(REFERENCE, ['serve', mode, '0', file]);
  try {
    const port = (await server.waitFor(/ready (\d+)/, 60_000, 'output'))[1];
    const started = performance.now();
    const client = SpawnedProcess.node(REFERENCE, ['fetch', mode, port, dest]);
    const code = await client.exited;
    const ms = performance.now() - started;
    if (code !== 0 || (await stat(dest)).size !== (await stat(file)).size) throw new Error(`${mode} reference failed: ${client.output}`);
    return ms;
  } finally {
    await server.stop();
    await rm(dest, { force: true });
  }
}

/** One seeder per mode, indexed and listening before any clock starts. */
async function oursSetup(secure, seedDir, work) {
  const net = new P2PNetwork(work, { secure });
  await net.tracker();
  await net.seeder(seedDir);
  return net;
}

async function oursOnce(net, seedDir) {
  await flushDirtyPages();
  const get = await net.get('payload.bin');
  const ms = await get.done;
  const size = (await stat(get.file)).size;
  await rm(get.folder, { recursive: true, force: true });
  if (size !== (await stat(path.join(seedDir, 'payload.bin'))).size) throw new Error('downloaded file has the wrong size');
  return ms;
}

const row = (bytes, times) => ({ medianMs: Math.round(median(times)), mbPerS: Math.round(mbPerS(bytes, median(times))), runs: times.map(Math.round) });

export async function run({ mode = 'quick', work, log = console.log }) {
  const { bytes, runs } = SIZES[mode];
  const seedDir = path.join(work, 'transfer-seed');
  const file = path.join(seedDir, 'payload.bin');
  await randomFile(file, bytes);
  const rows = {};
  const times = { tcp: [], tls: [], open: [], encrypted: [] };
  const openNet = await oursSetup(false, seedDir, work);
  const encryptedNet = await oursSetup(true, seedDir, work);
  try {
    // Rounds interleave the four, so slow patches of the machine touch each alike.
    for (let i = 0; i < runs; i++) {
      times.tcp.push(await streamOnce('tcp', file, path.join(work, 'ref.bin')));
      times.tls.push(await streamOnce('tls', file, path.join(work, 'ref.bin')));
      times.open.push(await oursOnce(openNet, seedDir));
      times.encrypted.push(await oursOnce(encryptedNet, seedDir));
      log(`  transfer: round ${i + 1} of ${runs} done`);
    }
  } finally {
    await openNet.stop();
    await encryptedNet.stop();
  }
  rows['plain TCP stream (Node)'] = row(bytes, times.tcp);
  rows['plain TLS 1.3 stream (Node)'] = row(bytes, times.tls);
  rows['ours, open mode'] = row(bytes, times.open);
  rows['ours, encrypted'] = row(bytes, times.encrypted);

  let unavailable = {};
  try {
    const { measureTorrentReferences, TORRENT_LABELS } = await import('./torrent-references.mjs');
    // Transmission 3.00 uploads to one peer at about 4 MB/s (transmission/transmission#1439), so
    // a large file takes minutes; it runs in the smoke size only, to keep the setup working.
    const skip = mode === 'smoke' ? {} : { [TORRENT_LABELS.transmission]: 'smoke run only: Transmission 3.00 caps upload to one peer at about 4 MB/s (transmission#1439)' };
    const torrent = await measureTorrentReferences({ file, work, runs, log, skip });
    Object.assign(rows, torrent.rows);
    unavailable = torrent.unavailable;
  } catch (error) {
    unavailable = { 'torrent clients': error.message };
  }
  await rm(seedDir, { recursive: true, force: true });

  const mb = (name) => rows[name]?.mbPerS;
  const encrypted = mb('ours, encrypted');
  const findRow = (prefix) => Object.keys(rows).find((k) => k.startsWith(prefix));
  const aria2 = findRow('aria2c');
  const webtorrent = findRow('webtorrent');
  const ratios = {
    openVsPlainTcp: ratio(mb('ours, open mode'), mb('plain TCP stream (Node)')),
    encryptedVsPlainTls: ratio(encrypted, mb('plain TLS 1.3 stream (Node)')),
    encryptedVsAria2c: aria2 ? ratio(encrypted, mb(aria2)) : null,
    encryptedVsWebtorrent: webtorrent ? ratio(encrypted, mb(webtorrent)) : null,
  };
  const table = Object.entries(rows).map(([name, r]) => [name, r.mbPerS, 'MB/s', `median ${r.medianMs} ms of ${r.runs.length}`]);
  for (const [name, reason] of Object.entries(unavailable)) table.push([name, null, '', `unavailable: ${reason}`]);
  table.push(['ratio open / plain TCP', ratios.openVsPlainTcp, '×', 'goal ≥ 0.7']);
  table.push(['ratio encrypted / plain TLS', ratios.encryptedVsPlainTls, '×', 'goal ≥ 0.7']);
  table.push(['ratio encrypted / aria2c', ratios.encryptedVsAria2c, '×', 'goal ≥ 5']);
  table.push(['ratio encrypted / webtorrent', ratios.encryptedVsWebtorrent, '×', 'goal ≥ 5']);
  return { title: `Transfer on loopback, one ${bytes / MiB} MiB file, 1 seeder → 1 downloader (median of ${runs})`, table, fileBytes: bytes, rows, unavailable, ratios };
}
