// Tracker benchmark: announces/s and lookups/s at 64 and 512 requests in flight, and memory per
// (peer, file) entry, for our tracker beside opentracker (Debian package) and the npm
// bittorrent-tracker server. The BitTorrent trackers get HTTP GET /announce over 64 / 512
// connections (bench/tracker-load.mjs). Ours gets protocol v2's UDP control plane from the same
// number of members with a request in flight (bench/tracker-scale.mjs -window N), sealed and
// open, and, for the migration, protocol v1's TLS sessions (bench/tracker-load.mjs).
// Usage: node bench/tracker.mjs [--quick|--smoke] [--trackers=opentracker,bittorrent-tracker,ours-v2,ours-v2-open,ours-tls,ours-open]
//        [--parts=throughput,memory]   (needs `npm run build` first; prints the table, then the JSON)
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ensureCommands } from './lib/debian.mjs';
import { ensureNpmReferences } from './lib/npm-references.mjs';
import { startOpentracker as startDebianOpentracker } from './lib/opentracker.mjs';
import { printTable, ratio } from './lib/stats.mjs';
import { rssOf, sleep } from './lib/system.mjs';
import { CLI, SpawnedProcess, assertBuilt } from '../test/support/processes.mjs';
import { MEMORY_BASE, infoHash } from './tracker-ids.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const CONFIG = {
  // memory: peers × files announced over `contents` distinct contents (holders per content = peers × files / contents).
  // warmRequests: requests that store nothing, sent before "idle" memory is read. openMode: also measure ours without TLS.
  full: { connections: [64, 512], warmupMs: 1000, durationMs: 10_000, swarms: 1000, swarmPeers: 50, memory: { peers: 100_000, files: 10, contents: 10_000 }, fillConnections: 64, fillBudgetMs: 300_000, liveSessions: 2000, warmRequests: 20_000, openMode: true },
  // Quick builds our state at full size anyway (seconds, in process): small states are all fixed costs.
  quick: { connections: [64, 512], warmupMs: 200, durationMs: 1000, swarms: 100, swarmPeers: 50, memory: { peers: 1000, files: 10, contents: 100 }, oursMemory: { peers: 50_000, files: 10, contents: 5000 }, fillConnections: 64, fillBudgetMs: 6000, liveSessions: 150, warmRequests: 2000, openMode: false },
  smoke: { connections: [8, 32], warmupMs: 100, durationMs: 300, swarms: 20, swarmPeers: 10, memory: { peers: 100, files: 10, contents: 10 }, fillConnections: 8, fillBudgetMs: 3000, liveSessions: 20, warmRequests: 300, openMode: true },
};
const TRACKERS = ['opentracker', 'bittorrent-tracker', 'ours-v2', 'ours-v2-open', 'ours-tls', 'ours-open'];
const LABEL = {
  opentracker: 'opentracker (HTTP)',
  'bittorrent-tracker': 'bittorrent-tracker (HTTP)',
  'ours-v2': 'ours v2, sealed (UDP control plane)',
  'ours-v2-open': 'ours v2, open (UDP control plane)',
  'ours-tls': 'ours v1, TLS PSK (sessions)',
  'ours-open': 'ours v1, open mode (sessions)',
};
const V2 = new Set(['ours-v2', 'ours-v2-open']);
const SCALE_GENERATOR = path.join(HERE, 'tracker-scale.mjs');
/** tracker-scale spends this share of -seconds on each saturation loop (its SHARES.announces, the smaller one). */
const SCALE_LOOP_SHARE = 0.25;

/** The load generator child, driven by request/response over IPC. */
function startGenerator() {
  const child = fork(path.join(HERE, 'tracker-load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const call = (cmd, args = {}, timeoutMs = 120_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`load generator: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (m) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (m.ok) resolve(m.result);
        else reject(new Error(`load generator: ${cmd} failed: ${m.error}`));
      };
      const onExit = (code) => {
        clearTimeout(timer);
        reject(new Error(`load generator exited (${code}) during ${cmd}`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
      child.send({ cmd, ...args });
    });
  const proc = new SpawnedProcess(child, { label: 'tracker-load.mjs' });
  return { call, stop: () => proc.stop() };
}

// ---------------------------------------------------------------- the trackers

async function startOpentracker(work, contents) {
  const dir = await mkdtemp(path.join(work, 'opentracker-'));
  const { proc, port } = await startDebianOpentracker(dir, contents.map((k) => infoHash(k).toString('hex')));
  return { proc, port, pid: proc.child.pid, kind: 'http' };
}

/**
 * Node's young generation is fixed at its default maximum (16 MiB semi-spaces) in the Node
 * trackers whose memory we read: it gets there under any load, and growing it during the fill
 * would be counted as stored peers (with the warm-up before "idle", see measureHttpMemory).
 */
const YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

async function startBittorrentTracker() {
  const proc = SpawnedProcess.spawn(process.execPath, ['--expose-gc', ...YOUNG_GENERATION, path.join(HERE, 'tracker-bt-server.mjs')]);
  const port = Number((await proc.waitFor(/ready (\d+)/, 30_000, 'output'))[1]);
  return { proc, port, pid: proc.child.pid, kind: 'http' };
}

async function startOurs(work, key, nodeFlags = [], extraArgs = []) {
  const data = await mkdtemp(path.join(work, 'ours-'));
  const keyArgs = key ? ['-key', key] : ['-open'];
  const proc = SpawnedProcess.spawn(process.execPath, [...nodeFlags, CLI.tracker, '-port', '0', '-host', '127.0.0.1', '-quiet', '-data', data, ...keyArgs, ...extraArgs]);
  const port = Number((await proc.waitFor(/listening on [^:]+:(\d+)/, 30_000, 'output'))[1]);
  return { proc, port, pid: proc.child.pid, kind: 'ours', key };
}

async function startTracker(name, work, cfg, key) {
  if (name === 'opentracker') {
    const contents = [...Array.from({ length: cfg.swarms }, (_, k) => k), ...Array.from({ length: cfg.memory.contents }, (_, k) => MEMORY_BASE + k)];
    return startOpentracker(work, contents);
  }
  if (name === 'bittorrent-tracker') return startBittorrentTracker();
  return startOurs(work, name === 'ours-tls' ? key : undefined);
}

/** Sets the generator on a tracker; for HTTP, waits until the tracker accepts announces (opentracker loads its whitelist in the background). */
async function attach(gen, tracker) {
  await gen.call('setup', { target: { kind: tracker.kind, port: tracker.port, key: tracker.key, trackerPid: tracker.pid } });
  if (tracker.kind !== 'http') return {};
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = await gen.call('probe').catch((err) => ({ accepted: false, answer: err.message }));
    if (probe.accepted) return { keepAlive: probe.keepAlive };
    if (Date.now() > deadline) throw new Error(`tracker refuses announces: ${probe.answer}`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------- measurements

async function measureThroughput(name, work, cfg, key, log) {
  const tracker = await startTracker(name, work, cfg, key);
  const gen = startGenerator();
  try {
    const { keepAlive } = await attach(gen, tracker);
    const prefill = await gen.call('prefill', { swarms: cfg.swarms, peers: cfg.swarmPeers }, 300_000);
    log(`  ${name}: pre-filled ${cfg.swarms} swarms × ${cfg.swarmPeers} peers in ${prefill.ms} ms`);
    const byConnections = {};
    let run = 0;
    for (const connections of cfg.connections) {
      const row = {};
      for (const op of ['announce', 'lookup']) {
        const r = await gen.call('load', { op, connections, swarms: cfg.swarms, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs, run: run++ }, 120_000);
        row[op] = r;
        log(`  ${name}: ${op} × ${connections} connections: ${r.perSecond}/s (errors ${r.errors}, cpu tracker ${r.cpu?.tracker} generator ${r.cpu?.generator})`);
      }
      byConnections[connections] = { announcesPerSecond: row.announce.perSecond, lookupsPerSecond: row.lookup.perSecond, announce: row.announce, lookup: row.lookup };
    }
    await gen.call('closeAll');
    return { keepAlive, prefillMs: prefill.ms, byConnections };
  } finally {
    await gen.stop();
    await tracker.proc.stop();
  }
}

/**
 * Ours over protocol v2: a fresh p2ptracker per window, filled with swarms × swarmPeers members
 * by bench/tracker-scale.mjs, which then keeps `window` lookups, then `window` announces, in
 * flight (each from an idle member) for at least durationMs each.
 */
async function measureV2Throughput(name, work, cfg, key, log) {
  const peers = cfg.swarms * cfg.swarmPeers;
  const seconds = Math.max(1, (cfg.durationMs + cfg.warmupMs) / 1000 / SCALE_LOOP_SHARE);
  const byConnections = {};
  let prefillMs = 0;
  for (const window of cfg.connections) {
    const sealed = name === 'ours-v2';
    const tracker = await startOurs(work, sealed ? key : undefined, [], ['-max-connections', String(Math.max(10_000, 2 * peers))]);
    const gen = SpawnedProcess.node(SCALE_GENERATOR, ['-tracker', `127.0.0.1:${tracker.port}`, ...(sealed ? ['-key', key] : ['-open']), '-peers', String(peers), '-files-per-peer', '1', '-seconds', String(seconds), '-window', String(window), '-json', '-tracker-pid', String(tracker.pid)]);
    try {
      const code = await gen.exited;
      const summary = JSON.parse(gen.stdout.trim().split('\n').at(-1) || '{}');
      if (code !== 0 || !summary.loops) throw new Error(`tracker-scale exited ${code}: ${summary.errors?.join('; ') || gen.stderr.slice(-500)}`);
      prefillMs = Math.round(summary.fillSeconds * 1000);
      const loop = (l) => ({ perSecond: l.perSecond, errors: l.failed, cpu: l.cores });
      byConnections[window] = { announcesPerSecond: summary.announcesPerSecond, lookupsPerSecond: summary.lookupsPerSecond, announce: loop(summary.loops.announces), lookup: loop(summary.loops.lookups) };
      log(`  ${name}: ${window} in flight: lookups ${summary.lookupsPerSecond}/s, announces ${summary.announcesPerSecond}/s (${peers} members, filled in ${summary.fillSeconds} s)`);
    } finally {
      await gen.stop();
      await tracker.proc.stop();
    }
  }
  return { prefillMs, byConnections };
}

/** RSS after a full GC, for the Node trackers that allow one (bittorrent-tracker through our wrapper). */
async function settledRss(tracker, name) {
  if (name === 'bittorrent-tracker') {
    const before = tracker.proc.output.length;
    tracker.proc.child.kill('SIGUSR2');
    const deadline = Date.now() + 30_000;
    while (!/gc done/.test(tracker.proc.output.slice(before)) && Date.now() < deadline) await sleep(50);
  } else {
    await sleep(500);
  }
  return rssOf(tracker.pid);
}

/**
 * Memory of a BitTorrent tracker: RSS after `peers × files` HTTP announces minus RSS idle (after
 * warm-up requests that store nothing), per stored entry.
 */
async function measureHttpMemory(name, work, cfg) {
  const tracker = await startTracker(name, work, cfg);
  const gen = startGenerator();
  try {
    await attach(gen, tracker);
    await gen.call('warm', { requests: cfg.warmRequests, connections: 16 });
    const idle = await settledRss(tracker, name);
    const { peers, files, contents } = cfg.memory;
    const fill = await gen.call('fill', { peers, files, contents, base: MEMORY_BASE, connections: cfg.fillConnections, budgetMs: cfg.fillBudgetMs }, cfg.fillBudgetMs + 120_000);
    const loaded = await settledRss(tracker, name);
    return {
      method:
        name === 'bittorrent-tracker'
          ? 'process RSS after the HTTP announces minus idle RSS (after warm-up scrapes), both after a full GC, young generation fixed at 16 MiB'
          : 'process RSS after the HTTP announces minus idle RSS (after warm-up scrapes)',
      peers: fill.peers,
      entries: fill.entries,
      failed: fill.failed,
      complete: fill.peers === peers,
      fillMs: fill.ms,
      idleRssBytes: idle,
      rssBytes: loaded,
      bytesPerEntry: +((loaded - idle) / fill.entries).toFixed(1),
    };
  } finally {
    await gen.stop();
    await tracker.proc.stop();
  }
}

/**
 * Memory of our tracker state for peers × files entries. 100,000 peers would need 100,000
 * connections, which one machine cannot open to one process (and our tracker admits 10,000), so
 * the state is built in a child process the way the server builds it (bench/tracker-memory.mjs).
 */
async function measureOurStateMemory(cfg) {
  const { peers, files, contents } = cfg.oursMemory ?? cfg.memory;
  const proc = SpawnedProcess.spawn(process.execPath, ['--expose-gc', ...YOUNG_GENERATION, path.join(HERE, 'tracker-memory.mjs'), String(peers), String(files), String(contents)]);
  try {
    const code = await proc.exited;
    const line = proc.output.trim().split('\n').at(-1);
    if (code !== 0) throw new Error(`tracker-memory.mjs failed: ${proc.output.slice(-2000)}`);
    const measured = JSON.parse(line);
    return {
      method:
        'TrackerState built in a child process from the same announcements as JSON text (bench/tracker-memory.mjs): RSS after GC minus RSS after GC of the same process having parsed them without keeping them; young generation fixed at 16 MiB. No sockets: per-connection objects (socket, TLS, the session record the server keeps) are in the live-session figure. bytesPerEntry is the larger of RSS and heap + typed arrays (RSS can come out lower when the build reuses memory its warm-up freed).',
      ...measured,
      bytesPerEntry: Math.max(measured.rssBytesPerEntry, measured.stateBytesPerEntry),
    };
  } finally {
    await proc.stop();
  }
}

/**
 * The real CLI tracker with live TLS sessions of `files` files each: what a session costs with
 * its connection. Read as a slope (RSS with all sessions minus RSS with half of them, per
 * session of the second half), so costs paid once (code compiled for the first handshakes,
 * buffers sized for the first burst) are not spread over the sessions.
 */
async function measureOurLiveMemory(work, cfg, key) {
  const tracker = await startOurs(work, key, YOUNG_GENERATION);
  const gen = startGenerator();
  try {
    await attach(gen, tracker);
    await gen.call('warm', { requests: cfg.warmRequests, connections: 16 });
    const idle = await settledRss(tracker, 'ours');
    const { files, contents } = cfg.memory;
    const half = Math.floor(cfg.liveSessions / 2);
    await gen.call('sessions', { count: half, files, contents, base: MEMORY_BASE }, 300_000);
    const halfway = await settledRss(tracker, 'ours');
    await gen.call('sessions', { count: cfg.liveSessions - half, first: half, files, contents, base: MEMORY_BASE }, 300_000);
    const loaded = await settledRss(tracker, 'ours');
    await gen.call('closeAll');
    return {
      method:
        'p2ptracker process RSS with live TLS sessions: (RSS with all of them minus RSS with the first half) per session of the second half, after warm-up sessions (no forced GC; young generation fixed at 16 MiB)',
      sessions: cfg.liveSessions,
      entries: cfg.liveSessions * files,
      idleRssBytes: idle,
      halfwayRssBytes: halfway,
      rssBytes: loaded,
      bytesPerSession: Math.round((loaded - halfway) / (cfg.liveSessions - half)),
      bytesPerSessionOverall: Math.round((loaded - idle) / cfg.liveSessions),
    };
  } finally {
    await gen.stop();
    await tracker.proc.stop();
  }
}

// ---------------------------------------------------------------- the run

const PROTOCOL_NOTES = [
  'Different generators for different protocols. opentracker and bittorrent-tracker get HTTP GET /announce (compact=1, left=1000) from bench/tracker-load.mjs over 64 / 512 connections.',
  'Ours v2 (what the CLI and the app speak): bench/tracker-scale.mjs fills swarms × peers members over the UDP control plane (docs/PROTOCOL.md §19), then keeps 64 / 512 LOOKUPs (≤ 32 holders each), then ANNOUNCEs (one file swapped), in flight, each from an idle member; every datagram sealed (ChaCha20-Poly1305) in sealed mode. The full-scale figures, beside opentracker over BEP 15 UDP, are the tracker-scale benchmark.',
  'Ours v1 (the TLS session protocol, kept while the tests migrate): framed JSON over TLS 1.3 (PSK) sessions, or plain TCP in open mode, from bench/tracker-load.mjs.',
  'A BitTorrent "lookup" is an announce with numwant=50: it also registers the asker in that swarm. Ours is a lookup message that changes nothing.',
  'A BitTorrent "announce" is an announce with numwant=1 (bittorrent-tracker reads 0 as 50, so 1 is the least both honour). Ours is an announce message carrying a change: the session now shares content k instead of the one it announced before (one add, one remove), answered by "ok".',
  'Answers with 50 peers: BitTorrent compact form, 6 bytes per peer (IPv4 and port), ~0.4 KB; ours JSON with peer id, host and port per peer, ~4 KB.',
  'Connections: opentracker closes the connection after each answer, so every request costs the generator a new TCP connection (its figure is bounded by the generator: see the cores column); bittorrent-tracker keeps HTTP connections alive; ours keeps one session per connection, set up (TLS + Ed25519 identity proof) before the timed window.',
  'Sessions: our peer is online while its connection is, and pings every 4 s; a BitTorrent peer holds no connection, re-announces every interval (~30 min for opentracker) and expires when silent. So ours keeps a TLS connection per peer (the live-session figure), and the BitTorrent trackers do not.',
  'Our tracker admits 32 connections per IP and 10,000 in all, so the generator spreads every tracker\'s connections over 127.x.y.z source addresses; the BitTorrent trackers key peers by IP and port, so filled peers get distinct ones.',
  'Stored per entry: opentracker 8 bytes (IPv4, port, flags) in a per-torrent vector; ours per peer also its 16-byte peer id and port, and per (name, content) row the name, for the listing and search that BitTorrent trackers do not have. opentracker is the Debian build, which only accepts whitelisted info hashes: the benchmark lists the ones it uses.',
];

/**
 * Runs the tracker benchmark. `trackers` and `parts` narrow it down (for working on one figure);
 * by default every tracker and both parts (throughput, memory) run.
 */
export async function run({ mode = 'full', work, log = console.log, trackers = TRACKERS, parts = ['throughput', 'memory'] } = {}) {
  const cfg = CONFIG[mode];
  if (!cfg) throw new Error(`unknown mode ${mode}`);
  assertBuilt();
  const ownWork = !work;
  work ??= await mkdtemp(path.join(os.tmpdir(), 'p2p-bench-tracker-'));
  await mkdir(work, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  const available = {};
  const tools = ensureCommands({ opentracker: 'opentracker' });
  available.opentracker = tools.opentracker ? true : tools.reason || 'opentracker not installed';
  try {
    await ensureNpmReferences(['bittorrent-tracker']);
    available['bittorrent-tracker'] = true;
  } catch (err) {
    available['bittorrent-tracker'] = `npm install bittorrent-tracker failed: ${err.message}`;
  }
  available['ours-tls'] = available['ours-open'] = available['ours-v2'] = available['ours-v2-open'] = true;

  const throughput = {};
  const memory = {};
  const failures = {};
  try {
    for (const name of parts.includes('throughput') ? trackers : []) {
      if (available[name] !== true || ((name === 'ours-open' || name === 'ours-v2-open') && !cfg.openMode)) continue;
      log(`tracker benchmark (${mode}): ${name} throughput`);
      try {
        throughput[name] = V2.has(name) ? await measureV2Throughput(name, work, cfg, key, log) : await measureThroughput(name, work, cfg, key, log);
      } catch (err) {
        failures[name] = err.message;
        log(`  ${name} failed: ${err.message}`);
      }
    }
    for (const name of parts.includes('memory') ? ['opentracker', 'bittorrent-tracker'].filter((n) => trackers.includes(n)) : []) {
      if (available[name] !== true) continue;
      log(`tracker benchmark (${mode}): ${name} memory`);
      try {
        memory[name] = await measureHttpMemory(name, work, cfg);
      } catch (err) {
        failures[`${name} memory`] = err.message;
        log(`  ${name} memory failed: ${err.message}`);
      }
    }
    if (parts.includes('memory') && (trackers.includes('ours-v2') || trackers.includes('ours-tls'))) {
      log(`tracker benchmark (${mode}): our memory`);
      memory.ours = await measureOurStateMemory(cfg);
      // A v2 member holds no connection (its cost is in the tracker-scale benchmark); a v1 session holds a TLS one.
      if (trackers.includes('ours-tls')) memory['ours-live'] = await measureOurLiveMemory(work, cfg, key);
    }
  } finally {
    if (ownWork) await rm(work, { recursive: true, force: true });
  }

  const ot = throughput.opentracker?.byConnections;
  const ours = throughput['ours-v2']?.byConnections;
  const ratios = {
    lookupsVsOpentracker: Object.fromEntries(cfg.connections.map((c) => [c, ratio(ours?.[c]?.lookupsPerSecond, ot?.[c]?.lookupsPerSecond)])),
    announcesVsOpentracker: Object.fromEntries(cfg.connections.map((c) => [c, ratio(ours?.[c]?.announcesPerSecond, ot?.[c]?.announcesPerSecond)])),
    bytesPerEntryVsOpentracker: ratio(memory.ours?.bytesPerEntry, memory.opentracker?.bytesPerEntry),
  };

  const table = [];
  const note = (name) => {
    if (available[name] !== true) return `unavailable: ${available[name]}`;
    if (failures[name]) return `failed: ${failures[name].split('\n')[0].slice(0, 120)}`;
    if (name === 'opentracker') return throughput[name]?.keepAlive ? 'HTTP keep-alive' : 'it closes after each answer: a new TCP connection per request';
    if (name === 'bittorrent-tracker') return throughput[name]?.keepAlive ? 'HTTP keep-alive' : 'it closes after each answer: a new TCP connection per request';
    if (V2.has(name)) return 'requests in flight from as many members, over UDP: no connections';
    return 'persistent sessions (protocol v1, kept for the migration)';
  };
  const measured = TRACKERS.filter((n) => (n !== 'ours-open' && n !== 'ours-v2-open') || cfg.openMode);
  for (const c of cfg.connections) {
    for (const op of ['lookup', 'announce']) {
      for (const name of measured) {
        const r = throughput[name]?.byConnections?.[c];
        const detail = r?.[op];
        // Cores each side used in the window (1 = one core): which one was the limit.
        const cpu = detail?.cpu ? `cores: tracker ${detail.cpu.tracker}, generator ${detail.cpu.generator}` : '';
        const errors = detail?.errors ? `, ${detail.errors} errors` : '';
        table.push([`${LABEL[name]}: ${op}s/s, ${c} ${V2.has(name) ? 'in flight' : 'conns'}`, detail?.perSecond ?? null, 'req/s', [note(name), cpu].filter(Boolean).join('; ') + errors]);
      }
    }
  }
  const filled = (m) => `${m.entries.toLocaleString('en-US')} entries${m.complete === false ? ` (the fill stopped at its ${cfg.fillBudgetMs / 1000} s budget)` : ''}`;
  for (const name of ['opentracker', 'bittorrent-tracker']) {
    const m = memory[name];
    table.push([`${LABEL[name]}: bytes per entry`, m?.bytesPerEntry ?? null, 'B/entry', m ? `${filled(m)} by HTTP; RSS minus idle RSS` : (failures[`${name} memory`]?.split('\n')[0] ?? note(name))]);
  }
  if (memory.ours) {
    const o = memory.ours;
    table.push([
      `ours: bytes per entry (state)`,
      o.bytesPerEntry,
      'B/entry',
      `${o.peers.toLocaleString('en-US')} peers × ${o.filesPerPeer} files over ${o.contents.toLocaleString('en-US')} contents built in a child process, not over sockets; the larger of RSS (${o.rssBytesPerEntry} B) and heap + typed arrays (${o.stateBytesPerEntry} B)`,
    ]);
    const live = memory['ours-live'];
    if (live) {
    // A string, so the chart (which ranks numbers by unit) leaves this one out.
    table.push([
      `ours v1: memory per live TLS session`,
      `${(live.bytesPerSession / 1024).toFixed(1)} KiB`,
      '',
      `the real p2ptracker, RSS growth over the second half of ${live.sessions.toLocaleString('en-US')} connected v1 sessions × ${cfg.memory.files} files; mostly the TLS connection (v2 members and BitTorrent peers hold none)`,
    ]);
    }
  }
  for (const c of cfg.connections) table.push([`ratio ours v2 sealed ÷ opentracker (HTTP), lookups/s, ${c} in flight`, ratios.lookupsVsOpentracker[c], '×', 'goal > 1']);
  for (const c of cfg.connections) table.push([`ratio ours v2 sealed ÷ opentracker (HTTP), announces/s, ${c} in flight`, ratios.announcesVsOpentracker[c], '×', 'goal > 1']);
  table.push(['ratio ours ÷ opentracker, bytes per entry', ratios.bytesPerEntryVsOpentracker, '×', 'goal ≤ 2']);

  // The figures by tracker, for results.json readers.
  const summary = {};
  for (const name of measured) {
    const by = throughput[name]?.byConnections ?? {};
    summary[name] = Object.fromEntries(cfg.connections.map((c) => [c, { announcesPerSecond: by[c]?.announcesPerSecond ?? null, lookupsPerSecond: by[c]?.lookupsPerSecond ?? null }]));
  }
  for (const name of ['opentracker', 'bittorrent-tracker']) if (summary[name]) summary[name].bytesPerEntry = memory[name]?.bytesPerEntry ?? null;
  if (summary['ours-v2']) summary['ours-v2'].bytesPerEntry = memory.ours?.bytesPerEntry ?? null;

  const title = `Tracker (${mode}): closed loop, ${cfg.durationMs / 1000} s per run after ${cfg.warmupMs / 1000} s warm-up, one generator process; memory for ${cfg.memory.peers.toLocaleString('en-US')} peers × ${cfg.memory.files} files over ${cfg.memory.contents.toLocaleString('en-US')} contents`;
  return { title, table, mode, config: cfg, available, failures, summary, ratios, throughput, memory, notes: PROTOCOL_NOTES };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mode = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
  const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1]?.split(',');
  const started = performance.now();
  // --trackers=opentracker,ours-v2 and --parts=memory narrow the run down.
  const result = await run({ mode, trackers: option('trackers') ?? TRACKERS, parts: option('parts') ?? ['throughput', 'memory'] });
  printTable(result.title, result.table);
  for (const n of result.notes) console.log(`  - ${n}`);
  console.log(`  (${Math.round((performance.now() - started) / 1000)} s)`);
  console.log(JSON.stringify(result, null, 2));
}
