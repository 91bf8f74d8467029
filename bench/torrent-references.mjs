// "What people use today" references for the transfer benchmark: one BitTorrent seeder
// → one downloader, all on loopback, peers found through a local opentracker.
//   aria2c ← aria2c seeder, aria2c ← transmission-daemon, webtorrent → webtorrent.
// Every tool gets the same .torrent (1 MiB pieces). Seeders are verified and registered
// with the tracker before timing; the timer covers the downloader from process start
// until it exits with the whole file written. The file is then compared (size + SHA-256)
// so a failed transfer never yields a number.
// Alone: node bench/torrent-references.mjs [--mb 64] [--runs 1]
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureCommands } from './lib/debian.mjs';
import { ensureNpmReferences } from './lib/npm-references.mjs';
import { startOpentracker } from './lib/opentracker.mjs';
import { SpawnedProcess, freePort } from '../test/support/processes.mjs';
import { MiB, mbPerS, repeat } from './lib/stats.mjs';
import { flushDirtyPages, sleep } from './lib/system.mjs';
import { infoHashOf, torrentFile, torrentInfo } from './references/torrent-file.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEBTORRENT_PEER = path.join(HERE, 'references', 'webtorrent-peer.mjs');
const execFileAsync = promisify(execFile);

export const TORRENT_LABELS = {
  aria2: 'aria2c ← aria2c seeder (opentracker)',
  transmission: 'aria2c ← transmission-daemon (opentracker)',
  webtorrent: 'webtorrent → webtorrent',
};

// Only the three peer-discovery paths that could reach beyond this machine are closed
// (DHT, local peer discovery, peer exchange); the rest is aria2's default.
const ARIA2_COMMON = [
  '--no-conf',
  '--enable-dht=false',
  '--enable-dht6=false',
  '--bt-enable-lpd=false',
  '--enable-peer-exchange=false',
  '--summary-interval=0',
  '--console-log-level=warn',
];

/** Polls `check` until it returns true; throws after `timeoutMs`. */
async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Throws (with its last output) when a process we wait on has died. */
function assertAlive(proc, name) {
  if (!proc.alive) {
    throw new Error(`${name} exited early:\n${proc.output.slice(-2000)}`);
  }
}

async function withTimeout(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(chunk);
  return hash.digest('hex');
}

/** A local opentracker for one torrent, answering scrapes before this returns. */
async function startTracker(dir, infoHash, track) {
  await mkdir(dir);
  const { proc: started, port } = await startOpentracker(dir, [infoHash]);
  const proc = track(started);
  const escapedHash = infoHash.replace(/../g, '%$&');
  /** Seeders (complete) and leechers (incomplete) the tracker holds for the torrent. */
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/scrape?info_hash=${escapedHash}`);
    const body = Buffer.from(await response.arrayBuffer()).toString('latin1');
    const count = (key) => Number(body.match(new RegExp(`${key.length}:${key}i(\\d+)e`))?.[1] ?? 0);
    return { complete: count('complete'), incomplete: count('incomplete') };
  };
  await waitUntil(
    () => {
      assertAlive(proc, 'opentracker');
      return scrape().then(() => true, () => false);
    },
    10_000,
    'opentracker to answer',
  );
  return { announce: `http://127.0.0.1:${port}/announce`, scrape, proc };
}

/** Waits until the tracker lists the seeder, so the downloader's first announce finds it. */
async function waitForAnnounce(tracker, seeder, name, { asSeed }, timeoutMs) {
  await waitUntil(
    async () => {
      assertAlive(seeder, name);
      const { complete, incomplete } = await tracker.scrape();
      return asSeed ? complete >= 1 : complete + incomplete >= 1;
    },
    timeoutMs,
    `${name} to announce itself to the tracker`,
  );
}

// Seeders: each resolves once its copy is hash-checked, it is seeding and the tracker lists it.

async function seedAria2({ torrentPath, seedDir, tracker, track, setupMs }) {
  const port = await freePort();
  const seeder = track(
    SpawnedProcess.spawn('aria2c', [
      ...ARIA2_COMMON,
      '--interface=127.0.0.1',
      `--dir=${seedDir}`,
      `--listen-port=${port}`,
      '--check-integrity=true',
      '--seed-ratio=0.0',
      torrentPath,
    ]),
  );
  // aria2 announces only after the integrity check, with left=0: it is listed as a seed.
  await waitForAnnounce(tracker, seeder, 'aria2c seeder', { asSeed: true }, setupMs);
}

async function seedTransmission({ torrentPath, seedDir, rowDir, tracker, track, setupMs, infoHash }) {
  const config = path.join(rowDir, 'transmission');
  await mkdir(config);
  const [rpcPort, peerPort] = [await freePort(), await freePort()];
  const settings = {
    'bind-address-ipv4': '127.0.0.1',
    'bind-address-ipv6': '::1',
    'peer-port': peerPort,
    'peer-port-random-on-start': false,
    'port-forwarding-enabled': false,
    'rpc-bind-address': '127.0.0.1',
    'rpc-port': rpcPort,
    'rpc-authentication-required': false,
    'download-dir': seedDir,
    'start-added-torrents': true,
    // Same closed discovery paths as aria2 (DHT, LPD, PEX); uTP off so peers use TCP like the other rows.
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    // Encryption stays at its default (prefer encrypted), so with aria2 the payload is RC4.
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'speed-limit-up-enabled': false,
    'alt-speed-enabled': false,
    'message-level': 1,
  };
  await writeFile(path.join(config, 'settings.json'), JSON.stringify(settings, null, 2));
  const daemon = track(SpawnedProcess.spawn('transmission-daemon', ['-f', '-g', config]));
  const remote = (...args) => execFileAsync('transmission-remote', [`127.0.0.1:${rpcPort}`, ...args], { timeout: 10_000 });
  await waitUntil(
    () => {
      assertAlive(daemon, 'transmission-daemon');
      return remote('-l').then(() => true, () => false);
    },
    10_000,
    'transmission-daemon RPC',
  );
  await remote('-a', torrentPath);
  await waitUntil(
    async () => {
      assertAlive(daemon, 'transmission-daemon');
      const { stdout } = await remote('-t', infoHash, '-i');
      // A verified, complete torrent with no peer yet shows as Idle; Seeding once one connects.
      return /State: (Idle|Seeding)/.test(stdout) && /Percent Done: 100%/.test(stdout);
    },
    setupMs,
    'transmission-daemon to verify the file and seed',
  );
  await waitForAnnounce(tracker, daemon, 'transmission-daemon', { asSeed: true }, setupMs);
}

async function seedWebtorrent({ torrentPath, seedDir, tracker, track, setupMs }) {
  const seeder = track(SpawnedProcess.node(WEBTORRENT_PEER, ['seed', torrentPath, seedDir]));
  await seeder.waitFor(/^seeding$/m, setupMs, 'output');
  // WebTorrent announces left = size − bytes downloaded (nothing, for a seeder), so the
  // tracker counts it as a leecher; it is still handed out to the downloader.
  await waitForAnnounce(tracker, seeder, 'webtorrent seeder', { asSeed: false }, setupMs);
}

// Downloaders: started inside the timed region; exit 0 once the whole file is written.

// Each run downloads from its own loopback address (127.0.0.2, .3, …), as separate machines
// would: Transmission 3.00 left a second downloader from an already served address unanswered.
// falloc is the allocation aria2's manual advises on ext4/xfs; the default (prealloc)
// first writes the whole file with zeros.
const getAria2 = ({ torrentPath, dest, run }) =>
  SpawnedProcess.spawn('aria2c', [
    ...ARIA2_COMMON,
    `--interface=127.0.0.${2 + run}`,
    `--dir=${dest}`,
    '--seed-time=0',
    '--file-allocation=falloc',
    torrentPath,
  ]);

const getWebtorrent = ({ torrentPath, dest }) => SpawnedProcess.node(WEBTORRENT_PEER, ['get', torrentPath, dest]);

/** One row: its own tracker and seeder, then `runs` timed downloads into fresh folders. */
async function measureRow(ctx, rowDir, { seed, get }) {
  const running = [];
  const track = (proc) => (running.push(proc), proc);
  try {
    await mkdir(rowDir);
    const tracker = await startTracker(path.join(rowDir, 'tracker'), ctx.infoHash, track);
    const torrentPath = path.join(rowDir, 'payload.torrent');
    await writeFile(torrentPath, torrentFile(ctx.info, tracker.announce));
    // The seeder reads the caller's file through a link instead of a copy.
    const seedDir = path.join(rowDir, 'seed');
    await mkdir(seedDir);
    await symlink(ctx.file, path.join(seedDir, ctx.name));
    await seed({ torrentPath, seedDir, rowDir, tracker, track, setupMs: ctx.setupMs, infoHash: ctx.infoHash });

    return await repeat(ctx.runs, async (run) => {
      const dest = await mkdtemp(path.join(rowDir, 'get-'));
      try {
        await flushDirtyPages();
        const started = performance.now();
        const downloader = track(get({ torrentPath, dest, run }));
        const code = await withTimeout(downloader.exited, ctx.transferMs, 'download');
        const ms = performance.now() - started;
        if (code !== 0) throw new Error(`downloader exited with ${code}:\n${downloader.output.slice(-2000)}`);
        const got = path.join(dest, ctx.name);
        if ((await stat(got)).size !== ctx.size || (await sha256Of(got)) !== ctx.sha256) throw new Error('downloaded file differs from the original');
        return ms;
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    });
  } finally {
    await Promise.all(running.map((proc) => proc.stop()));
  }
}

/**
 * Measures the BitTorrent references on `file`.
 * `skip`: { [label]: reason } rows this run leaves out.
 * → { rows: { [label]: { medianMs, mbPerS, runs: ms[] } }, unavailable: { [label]: reason } }
 */
export async function measureTorrentReferences({ file, work, runs, log = console.log, skip = {} }) {
  const rows = {};
  const unavailable = { ...skip }; // label → why this run leaves it out
  const tools = ensureCommands({
    aria2c: 'aria2',
    opentracker: 'opentracker',
    'transmission-daemon': 'transmission-daemon',
    'transmission-remote': 'transmission-cli',
  });
  const [info, sha256] = await Promise.all([torrentInfo(file), sha256Of(file)]);
  const size = info.length;
  const ctx = {
    file,
    info,
    name: info.name,
    size,
    sha256,
    infoHash: infoHashOf(info),
    runs,
    setupMs: 30_000 + size / 20e3, // seeders hash-check the file at ≥ 20 MB/s
    transferMs: 60_000 + size / 2e3, // a download slower than 2 MB/s counts as failed
  };
  const plan = [
    { label: TORRENT_LABELS.aria2, needs: ['opentracker', 'aria2c'], seed: seedAria2, get: getAria2 },
    {
      label: TORRENT_LABELS.transmission,
      needs: ['opentracker', 'aria2c', 'transmission-daemon', 'transmission-remote'],
      seed: seedTransmission,
      get: getAria2,
    },
    {
      label: TORRENT_LABELS.webtorrent,
      needs: ['opentracker'],
      prepare: () => ensureNpmReferences(['webtorrent']),
      seed: seedWebtorrent,
      get: getWebtorrent,
    },
  ];
  const root = await mkdtemp(path.join(work, 'torrents-'));
  try {
    for (const [i, row] of plan.entries()) {
      if (skip[row.label]) continue;
      const missing = row.needs.filter((command) => !tools[command]);
      if (missing.length > 0) {
        unavailable[row.label] = `${missing.join(', ')} not installed${tools.reason ? ` (${tools.reason})` : ''}`;
        continue;
      }
      try {
        await row.prepare?.();
        const { median, values } = await measureRow(ctx, path.join(root, `row-${i}`), row);
        rows[row.label] = { medianMs: Math.round(median), mbPerS: +mbPerS(size, median).toFixed(1), runs: values.map(Math.round) };
        log(`  ${row.label}: ${rows[row.label].mbPerS} MB/s`);
      } catch (error) {
        unavailable[row.label] = error.message;
        log(`  ${row.label}: unavailable: ${error.message}`);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return { rows, unavailable };
}

async function writeRandomFile(file, bytes) {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 4 * MiB) {
    if (!out.write(randomBytes(Math.min(4 * MiB, left)))) await new Promise((resolve) => out.once('drain', resolve));
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const option = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const work = await mkdtemp(path.join(os.tmpdir(), 'torrent-references-'));
  try {
    const file = path.join(work, 'payload.bin');
    await writeRandomFile(file, option('--mb', 64) * MiB);
    const started = performance.now();
    const result = await measureTorrentReferences({ file, work, runs: option('--runs', 1) });
    console.log(JSON.stringify({ ...result, wallMs: Math.round(performance.now() - started) }, null, 2));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
