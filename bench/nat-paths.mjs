// Throughput across the NAT lab (test/netlab/), direct, punched and relayed side by side: real
// p2ptracker and p2pclient processes with default options, a holder and a downloader each behind
// its own router, so every path crosses two NATs and the WAN segment.
//   direct:  holder behind a UPnP router (it maps its port) → downloader behind a plain NAT
//   punched: holder behind a plain NAT → downloader behind another plain NAT (UDP hole punch, UDX)
//   relayed: holder behind a symmetric NAT → downloader behind another symmetric NAT (tracker relay)
// The reference for punched is the direct path over the same hops (TCP, same TLS and framing),
// beside the transport's own ceiling on the punched hops: raw UDX (udx-native, no TLS, no
// framing, no disk) between the same two hosts. The one for relayed is the relay's cap, which the
// tracker is given here.
// Throughput counts from the download's first "downloading" line to its "done:" line, so the
// connection setup (the rendezvous) is reported apart, as "connected after".
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB, buildNatLab, labAvailability, removeStaleLabs } from '../test/netlab/lab.mjs';
import { CLI, assertBuilt } from '../test/support/processes.mjs';
import { MiB, median, ratio } from './lib/stats.mjs';

const SIZES = { full: { bytes: 128 * MiB, runs: 3 }, quick: { bytes: 64 * MiB, runs: 1 }, smoke: { bytes: 8 * MiB, runs: 1 } };
/**
 * The tracker's relay cap (KiB/s per relayed connection): relayed should reach it. A quarter of
 * the file per second, so the transfer lasts about 4 s and the limiter's initial burst (one
 * second's worth) doesn't pass for throughput: 32 MiB/s for the full 128 MiB.
 */
const relayLimitKiB = (bytes) => Math.round(bytes / 1024 / 4);
const TRACKER_PORT = 6969;
const PATHS = [
  { key: 'direct', label: 'direct (UPnP-mapped holder → plain NAT)', holder: 'hostU1', getter: 'hostM' },
  { key: 'punched', label: 'punched (plain NAT → plain NAT, UDX)', holder: 'hostN', getter: 'hostM' },
  { key: 'relayed', label: 'relayed (symmetric NAT → symmetric NAT)', holder: 'hostS', getter: 'hostT' },
];
const RAW_UDX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../test/netlab/udx-raw.mjs');
const RAW_UDX_PORT = 41_000;
const UNITS = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB };

/** "12.5 MiB" (shared/format's formatBytes) → bytes. */
function parseBytes(text) {
  const m = /^([\d.]+) (B|KiB|MiB|GiB)$/.exec(text.trim());
  if (!m) throw new Error(`not a size: "${text}"`);
  return Number(m[1]) * UNITS[m[2]];
}

async function getOnce(lab, env, p, name, bytes, tmp, run) {
  const into = path.join(tmp, `${p.key}-into-${run}`);
  await mkdir(into, { recursive: true });
  const started = performance.now();
  const get = lab.node(p.getter, CLI.client, ['-folder', into, '-port', '0', '-tracker', `${LAB.tracker}:${TRACKER_PORT}`, '-get', name, '-timeout', '60'], {
    env: { ...env, P2P_DATA_DIR: path.join(tmp, `${p.key}-get-data-${run}`) },
    label: `${p.getter} get ${p.key}`,
  });
  try {
    // Progress comes in batches of 100 ms: a quick one may skip the connecting line, or go straight to done.
    const any = await get.waitForLine(/^progress \S+: +\d+% +(.+?) \/ .* (\S+)$|^done: /, 90_000);
    let before = any[0].startsWith('done') ? started : performance.now();
    let first = any;
    if (any[0].startsWith('progress') && any[2] !== 'downloading') {
      first = await get.waitForLine(/^progress \S+: +\d+% +(.+?) \/ .* downloading$|^done: /, 90_000);
      if (!first[0].startsWith('done')) before = performance.now();
    }
    const downloading = first[0].startsWith('progress');
    const from = before;
    const already = downloading ? parseBytes(first[1]) : 0;
    if (downloading) await get.waitForLine(/^done: /, 120_000);
    const ms = performance.now() - from;
    const exit = await get.waitForExit(30_000);
    if (exit.code !== 0) throw new Error(`-get failed: ${get.describe()}`);
    const via = /^from: \S+ (\S+) /m.exec(get.stdout)?.[1];
    if (via !== p.key) throw new Error(`the ${p.key} path went ${via ?? 'nowhere'}: ${get.describe()}`);
    return { mbPerS: (bytes - already) / 1e6 / (ms / 1000), setupMs: from - started, setupIncluded: !downloading };
  } finally {
    await get.stop('SIGKILL').catch(() => undefined);
    await rm(into, { recursive: true, force: true });
  }
}

/** Raw UDX from hostN to hostM, each behind its plain NAT: MB/s from the first byte to the last. */
async function rawUdxOnce(lab, bytes) {
  const recv = lab.node('hostM', RAW_UDX, ['recv', String(RAW_UDX_PORT), LAB.routerN, String(bytes)], { label: 'hostM raw udx' });
  const send = lab.node('hostN', RAW_UDX, ['send', String(RAW_UDX_PORT), LAB.routerM, String(bytes)], { label: 'hostN raw udx' });
  try {
    const exit = await recv.waitForExit(150_000);
    const result = JSON.parse(recv.stdout.trim().split('\n').at(-1) || '{}');
    if (exit.code !== 0 || !result.ms) throw new Error(`raw UDX failed: ${recv.describe()}\n${send.describe()}`);
    return result.bytes / 1e6 / (result.ms / 1000);
  } finally {
    await send.stop('SIGKILL').catch(() => undefined);
    await recv.stop('SIGKILL').catch(() => undefined);
  }
}

export async function run({ mode = 'quick', log = console.log }) {
  const { bytes, runs } = SIZES[mode];
  const title = `Across the NAT lab: one ${bytes / MiB} MiB file, direct vs punched vs relayed (median of ${runs})`;
  const available = labAvailability({ upnp: true });
  if (!available.ok) return { title, table: [['NAT lab', null, '', `unavailable: ${available.reason}`]], unavailable: available.reason };
  assertBuilt();
  await removeStaleLabs();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'p2p-bench-nat-'));
  const env = { P2P_KEY: randomBytes(32).toString('base64url'), P2P_NO_UPNP: undefined, P2P_NO_LAN: undefined, NODE_OPTIONS: undefined };
  const lab = await buildNatLab({ upnp: true, matrix: true });
  const rows = {};
  try {
    const tracker = lab.node('tracker', CLI.tracker, ['-port', String(TRACKER_PORT), '-host', LAB.tracker, '-relay-limit', String(relayLimitKiB(bytes))], { env: { ...env, P2P_DATA_DIR: path.join(tmp, 'tracker-data') } });
    await tracker.waitFor(/listening on/, 20_000, 'output');
    for (const p of PATHS) {
      const name = `payload-${p.key}.bin`;
      const folder = path.join(tmp, `${p.key}-share`);
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, name), randomBytes(bytes));
      const holder = lab.node(p.holder, CLI.client, ['-folder', folder, '-port', '0', '-tracker', `${LAB.tracker}:${TRACKER_PORT}`], {
        env: { ...env, P2P_DATA_DIR: path.join(tmp, `${p.key}-hold-data`) },
        label: `${p.holder} hold ${p.key}`,
      });
      try {
        await holder.waitFor(/connected to tracker/, 30_000, 'stderr');
        const samples = [];
        for (let i = 0; i < runs; i++) {
          samples.push(await getOnce(lab, env, p, name, bytes, tmp, i));
          log(`  nat-paths: ${p.key} run ${i + 1} of ${runs}: ${samples.at(-1).mbPerS.toFixed(1)} MB/s`);
        }
        rows[p.key] = {
          label: p.label,
          mbPerS: Math.round(median(samples.map((s) => s.mbPerS)) * 10) / 10,
          setupMs: Math.round(median(samples.map((s) => s.setupMs))),
          runs: samples.map((s) => Math.round(s.mbPerS * 10) / 10),
          setupIncluded: samples.some((s) => s.setupIncluded),
        };
      } finally {
        await holder.stop('SIGTERM').catch(() => undefined);
      }
    }
    const raw = [];
    for (let i = 0; i < runs; i++) {
      raw.push(await rawUdxOnce(lab, bytes));
      log(`  nat-paths: raw UDX run ${i + 1} of ${runs}: ${raw.at(-1).toFixed(1)} MB/s`);
    }
    rows.rawUdx = { label: 'raw UDX (plain NAT → plain NAT: no TLS, framing or disk)', mbPerS: Math.round(median(raw) * 10) / 10, runs: raw.map((r) => Math.round(r * 10) / 10) };
  } finally {
    await lab.teardown();
    await rm(tmp, { recursive: true, force: true });
  }
  const capMbPerS = Math.round(((relayLimitKiB(bytes) * 1024) / 1e6) * 10) / 10;
  const ratios = {
    punchedVsDirect: ratio(rows.punched.mbPerS, rows.direct.mbPerS),
    punchedVsRawUdx: ratio(rows.punched.mbPerS, rows.rawUdx.mbPerS),
    rawUdxVsDirect: ratio(rows.rawUdx.mbPerS, rows.direct.mbPerS),
    relayedVsCap: ratio(rows.relayed.mbPerS, capMbPerS),
  };
  const table = PATHS.map((p) => {
    const r = rows[p.key];
    const setup = r.setupIncluded ? 'too quick to time apart: connection setup included' : `connected after ${(r.setupMs / 1000).toFixed(1)} s`;
    return [r.label, r.mbPerS, 'MB/s', `${setup}; runs ${r.runs.join(', ')}`];
  });
  table.push([rows.rawUdx.label, rows.rawUdx.mbPerS, 'MB/s', `the transport's ceiling on the punched hops; runs ${rows.rawUdx.runs.join(', ')}`]);
  table.push(['relay cap (p2ptracker -relay-limit)', capMbPerS, 'MB/s', `${relayLimitKiB(bytes)} KiB/s per relayed connection`]);
  table.push(['ratio punched / direct', ratios.punchedVsDirect, '×', 'goal ≥ 0.5']);
  table.push(['ratio raw UDX / direct', ratios.rawUdxVsDirect, '×', 'the most punched could reach over udx-native']);
  table.push(['ratio punched / raw UDX', ratios.punchedVsRawUdx, '×', 'what TLS, framing and disk leave of the transport']);
  table.push(['ratio relayed / relay cap', ratios.relayedVsCap, '×', 'goal ≥ 0.8 (limited only by the cap)']);
  return { title, table, fileBytes: bytes, rows, relayCapMbPerS: capMbPerS, ratios };
}
