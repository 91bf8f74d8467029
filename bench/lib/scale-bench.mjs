// The `tracker-scale` benchmark of `npm run bench`: a real p2ptracker (sealed, fresh key file,
// caps raised) under bench/tracker-scale.mjs at the mode's size, then opentracker under the same
// generator speaking BEP 15 UDP, same peers, files and seconds. Memory is each tracker's
// VmRSS / VmHWM from /proc in steady state (every peer announced, heartbeats running), less its
// idle RSS, per online peer and per (peer, file) entry.
import dgram from 'node:dgram';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCommands } from './debian.mjs';
import { startOpentracker } from './opentracker.mjs';
import { ratio } from './stats.mjs';
import { Catalogue, memoryOf, sleep } from './scale-fleet.mjs';
import { CLI, SpawnedProcess, assertBuilt } from '../../test/support/processes.mjs';

const GENERATOR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../tracker-scale.mjs');
const SIZES = {
  smoke: { peers: 2000, files: 10, seconds: 4 },
  quick: { peers: 50_000, files: 10, seconds: 10 },
  full: { peers: 1_000_000, files: 10, seconds: 30 },
};
/** After `ready`, heartbeats run this long before memory is read. */
const SETTLE_MS = 2000;

/** The longest the generator's members stay online for the real clients (they release it sooner). */
const HOLD_LIMIT_S = 900;
const MS = (t0) => Math.round(performance.now() - t0);

/**
 * Real CLI processes beside the generator's members, while every one of them is online: a real
 * seeder joins with a new file; a real `p2pclient -list -search NAME` is timed (process start
 * included) until it lists that file; a real `p2pclient -get` fetches and verifies it; then one
 * full `p2pclient -list` (every row, every page) is timed.
 */
async function realClients({ address, keyfile, dir, log }) {
  const share = path.join(dir, 'seeder-share');
  await mkdir(share, { recursive: true });
  const name = `new-among-the-crowd-${Date.now()}.txt`;
  await writeFile(path.join(share, name), 'listed and fetched while the crowd is online\n');
  const cli = (label, args) => SpawnedProcess.node(CLI.client, [...args, '-tracker', address, '-keyfile', keyfile], { env: { P2P_KEY: '', P2P_DATA_DIR: path.join(dir, `${label}-data`) }, label });
  const seeder = cli('seeder', ['-folder', share, '-port', '0']);
  const out = { file: name, lists: [] };
  try {
    const t0 = performance.now();
    await seeder.waitFor(/connected to tracker/, 60_000, 'stderr');
    out.seederJoinMs = MS(t0);
    for (const deadline = performance.now() + 120_000; performance.now() < deadline; await sleep(250)) {
      const t = performance.now();
      const list = cli('lister', ['-list', '-search', name]);
      const { code } = await list.waitForExit(30_000);
      out.lists.push(MS(t));
      if (code !== 0) throw new Error(`p2pclient -list exited ${code}: ${list.stderr.slice(-300)}`);
      if (list.stdout.includes(name)) {
        out.listedAfterJoinMs = MS(t0) - out.seederJoinMs;
        break;
      }
    }
    if (out.listedAfterJoinMs === undefined) throw new Error(`the seeder's ${name} was not listed within 120 s`);
    const into = path.join(dir, 'getter-share');
    await mkdir(into, { recursive: true });
    const t = performance.now();
    const get = cli('getter', ['-folder', into, '-port', '0', '-get', name]);
    const { code } = await get.waitForExit(60_000);
    out.getMs = MS(t);
    out.getVerified = code === 0 && /done: .* verified/.test(get.stdout);
    if (!out.getVerified) throw new Error(`p2pclient -get exited ${code}: ${get.stderr.slice(-300)}`);
    out.firstListMs = out.lists[0];
    out.maxListMs = Math.max(...out.lists);
    const tf = performance.now();
    const full = cli('lister', ['-list', '-json']);
    const fullExit = await full.waitForExit(300_000);
    out.fullListMs = MS(tf);
    if (fullExit.code !== 0) throw new Error(`p2pclient -list exited ${fullExit.code}: ${full.stderr.slice(-300)}`);
    out.fullListRows = JSON.parse(full.stdout).length;
    log(`  ours: real clients: seeder joined in ${out.seederJoinMs} ms; -list -search took ${out.lists.join(', ')} ms; listed ${out.listedAfterJoinMs} ms after joining; -get verified in ${out.getMs} ms; full -list of ${out.fullListRows} rows in ${out.fullListMs} ms`);
    return out;
  } finally {
    await seeder.stop();
  }
}

/** Runs the generator against one tracker; returns its JSON summary and the tracker's memory in steady state. `during` runs while every member is still online. */
async function drive(tracker, args, size, log, during) {
  const idle = memoryOf(tracker.pid);
  const hold = during ? ['-hold', String(HOLD_LIMIT_S)] : [];
  const gen = SpawnedProcess.node(GENERATOR, [...args, '-peers', String(size.peers), '-files-per-peer', String(size.files), '-seconds', String(size.seconds), '-json', '-tracker-pid', String(tracker.pid), ...hold]);
  try {
    const fillBudgetMs = 90_000 + size.peers * 2.2; // beyond the generator's own fill deadline (60 s + 2 ms per peer)
    await gen.waitFor(/^ready \d+$/m, fillBudgetMs, 'stdout');
    await sleep(SETTLE_MS);
    const steady = memoryOf(tracker.pid);
    let clients;
    if (during) {
      await gen.waitFor(/^holding$/m, size.seconds * 1000 + 60_000, 'stdout');
      try {
        clients = await during();
      } catch (err) {
        clients = { error: err.message };
        log(`  real clients failed: ${err.message}`);
      }
      // The listing's sorted rows are built now (the full -list): the memory a listed network costs too.
      if (clients && !clients.error) clients.memoryAfterList = memoryOf(tracker.pid);
      gen.child.kill('SIGUSR2');
    }
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), size.seconds * 1000 + 60_000 + size.peers / 2)));
    const code = await Promise.race([gen.exited, late]);
    clearTimeout(timer);
    if (code === 'timeout') throw new Error('the generator did not stop in time');
    const summary = JSON.parse(gen.stdout.trim().split('\n').at(-1));
    if (code !== 0) log(`  generator exited ${code}: ${summary.errors?.join('; ') ?? gen.stderr.slice(-500)}`);
    const grown = steady.rss - idle.rss;
    return { summary, idle, steady, clients, bytesPerPeer: Math.round(grown / summary.joined), bytesPerEntry: +(grown / summary.files).toFixed(1) };
  } finally {
    await gen.stop();
  }
}

async function measureOurs(work, size, log) {
  const dir = await mkdtemp(path.join(work, 'ours-'));
  const keyfile = path.join(dir, 'network.key');
  const { formatNetworkKey, generateNetworkKey } = await import('../../dist/electron/engine/security/network-key.js');
  await writeFile(keyfile, `${formatNetworkKey(generateNetworkKey())}\n`, { mode: 0o600 });
  const maxFiles = Math.min(100_000_000, Math.max(1_000_000, 2 * size.peers * size.files));
  const proc = SpawnedProcess.spawn(process.execPath, [CLI.tracker, '-port', '0', '-host', '127.0.0.1', '-quiet', '-data', path.join(dir, 'data'), '-keyfile', keyfile, '-max-files', String(maxFiles), '-max-connections', '1000000']);
  try {
    const port = Number((await proc.waitFor(/listening on [^:]+:(\d+)/, 30_000, 'output'))[1]);
    await sleep(500);
    log(`  ours: p2ptracker on 127.0.0.1:${port} (UDP control plane, sealed)`);
    const address = `127.0.0.1:${port}`;
    return await drive({ pid: proc.child.pid }, ['-tracker', address, '-keyfile', keyfile], size, log, () => realClients({ address, keyfile, dir, log }));
  } finally {
    await proc.stop();
  }
}

/** opentracker loads its whitelist in the background: wait until it answers an announce of the last hash listed. */
async function opentrackerReady(port, lastHash, deadlineMs) {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const ask = (buf) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 500);
      socket.once('message', (m) => (clearTimeout(timer), resolve(m)));
      socket.send(buf, port, '127.0.0.1');
    });
  try {
    for (const end = Date.now() + deadlineMs; Date.now() < end; await sleep(200)) {
      const connect = Buffer.alloc(16);
      connect.writeBigUInt64BE(0x41727101980n, 0);
      const answer = await ask(connect);
      if (!answer || answer.length < 16 || answer.readUInt32BE(0) !== 0) continue;
      const announce = Buffer.alloc(98);
      answer.copy(announce, 0, 8, 16);
      announce.writeUInt32BE(1, 8);
      lastHash.copy(announce, 16, 0, 20);
      announce.writeUInt32BE(3, 80); // stopped: leaves nothing behind
      announce.writeUInt16BE(1, 96);
      const reply = await ask(announce);
      if (reply && reply.readUInt32BE(0) === 1) return;
    }
    throw new Error('opentracker did not accept whitelisted announces in time');
  } finally {
    socket.close();
  }
}

async function measureOpentracker(work, size, log) {
  const dir = await mkdtemp(path.join(work, 'opentracker-'));
  const catalogue = new Catalogue(size.peers, size.files);
  const hashes = [];
  for (let k = 0; k < 2 * catalogue.size; k++) hashes.push(catalogue.hash(k).subarray(0, 20).toString('hex'));
  const { proc, port } = await startOpentracker(dir, hashes, { udp: true });
  try {
    await opentrackerReady(port, catalogue.hash(2 * catalogue.size - 1), 120_000);
    log(`  opentracker: UDP on 127.0.0.1:${port}, ${hashes.length.toLocaleString('en-US')} whitelisted info hashes`);
    return await drive({ pid: proc.child.pid }, ['-tracker', `127.0.0.1:${port}`, '-bep15'], size, log);
  } finally {
    await proc.stop();
  }
}

const NOTES = [
  'Same generator, same peers (1024 loopback source addresses, one listen port per peer), same deterministic catalogue (files have ~20 holders each), same load shapes; different protocols.',
  'Ours: protocol v2 control plane (docs/PROTOCOL.md §19): every datagram sealed (ChaCha20-Poly1305, a key per datagram), an Ed25519-signed JOIN per peer (verified by the tracker, WELCOME signed back), names and sizes with every file, one ANNOUNCE datagram for all 10 files, one HEARTBEAT per interval.',
  'opentracker: BEP 15, plaintext, no identity, no names: one announce per (peer, info hash), so 10 per peer to fill, a re-announce of each per interval (~30 min, none within the run), 6-byte peers in answers.',
  'lookup: ours LOOKUP (≤ 32 holders, peer id + IPv6-mapped address each); BEP 15 an announce with num_want 50 of a content the peer holds (stores nothing new). announce: ours an ANNOUNCE swapping one file (one remove, one add); BEP 15 an announce of one new info hash.',
  'Saturation is a closed loop of 256 requests in flight; latency is an open loop at half that rate. Cores: CPU used by each side over the window (2 cores in all, shared by tracker and generator): whichever is near 1 is the limit.',
  'Memory: VmRSS 2 s after every peer announced (heartbeats running) minus VmRSS before the fill; VmHWM is the peak. opentracker stores 8 bytes per (peer, torrent); ours per peer also its id, address, token, replay window, and per (name, content) row the name (listing, search).',
];

/** `size` ({ peers, files, seconds }) overrides the mode's, for runs between quick and full. */
export async function run({ mode = 'full', work, log = console.log, size = SIZES[mode] } = {}) {
  if (!size) throw new Error(`unknown mode ${mode}`);
  assertBuilt();
  const ours = await measureOurs(work, size, log);
  log(`  ours: ${ours.summary.lookupsPerSecond} lookups/s, ${ours.summary.announcesPerSecond} announces/s, RSS ${(ours.steady.rss / 2 ** 20).toFixed(0)} MiB`);
  const tools = ensureCommands({ opentracker: 'opentracker' });
  let ot;
  let otFailure = tools.opentracker ? undefined : tools.reason || 'opentracker not installed';
  if (!otFailure) {
    try {
      ot = await measureOpentracker(work, size, log);
    } catch (err) {
      otFailure = err.message;
      log(`  opentracker failed: ${err.message}`);
    }
  }
  const MiB = (b) => +(b / 2 ** 20).toFixed(1);
  const table = [];
  for (const [label, m, failure] of [['ours (v2 UDP, sealed)', ours], ['opentracker (BEP 15 UDP)', ot, otFailure]]) {
    const s = m?.summary;
    const none = failure ? `unavailable: ${failure}` : '';
    const cores = (loop) => (loop ? `cores: tracker ${loop.cores.tracker}, generator ${loop.cores.generator}` : none);
    table.push([`${label}: peers announced`, s?.joined ?? null, 'peers', s ? `${s.files.toLocaleString('en-US')} (peer, file) entries; fill ${s.fillSeconds} s; ${s.failedJoins} failed` : none]);
    table.push([`${label}: joins/s (fill)`, s?.joinsPerSecond ?? null, 'peers/s', s?.identity ? `generator: ${s.identity.microsecondsPerJoin} µs per JOIN (Ed25519 key generation + signature)` : none]);
    table.push([`${label}: lookups/s at saturation`, s?.lookupsPerSecond ?? null, 'req/s', cores(s?.loops.lookups)]);
    table.push([`${label}: announces/s at saturation`, s?.announcesPerSecond ?? null, 'req/s', cores(s?.loops.announces)]);
    table.push([`${label}: lookup p50 at half saturation`, s?.p50Ms ?? null, 'ms', s ? `${s.latencyAtRate}/s` : none]);
    table.push([`${label}: lookup p99 at half saturation`, s?.p99Ms ?? null, 'ms', s ? `goal < 20 ms; ${s.loops.latency.failed} failed, ${s.timeouts} timeouts in the run` : none]);
    table.push([`${label}: RSS in steady state`, m ? MiB(m.steady.rss) : null, 'MiB', m ? `idle ${MiB(m.idle.rss)} MiB, peak (VmHWM) ${MiB(m.steady.hwm)} MiB; interval ${s.intervalMs} ms` : none]);
    table.push([`${label}: bytes per online peer`, m?.bytesPerPeer ?? null, 'B/peer', m ? 'RSS growth ÷ peers' : none]);
    table.push([`${label}: bytes per (peer, file) entry`, m?.bytesPerEntry ?? null, 'B/entry', m ? 'RSS growth ÷ entries: everything a peer costs, spread over its files' : none]);
  }
  const c = ours.clients;
  const realNote = (text) => (c && !c.error ? text : `failed: ${c?.error ?? 'not run'}`);
  const intervalS = ours.summary.intervalMs ? ours.summary.intervalMs / 1000 : null;
  table.push(['ours: real p2pclient -list -search, every member online', c?.maxListMs ?? null, 'ms', realNote(`slowest of ${c?.lists?.length} runs (${c?.lists?.join(', ')} ms), Node's start included; goal ≤ 2,000 ms`)]);
  table.push(['ours: real p2pclient -list (every row), every member online', c?.fullListMs ?? null, 'ms', realNote(`${c?.fullListRows?.toLocaleString('en-US')} rows in pages of ≤ 1,000 over the TLS stream, Node's start included`)]);
  table.push(["ours: a real seeder's new file listed after it joined", c?.listedAfterJoinMs ?? null, 'ms', realNote(`goal: within one announce interval (${intervalS} s); the seeder joined in ${c?.seederJoinMs} ms`)]);
  table.push(['ours: RSS with the listing sorted (after the full -list)', c?.memoryAfterList ? MiB(c.memoryAfterList.rss) : null, 'MiB', realNote('the sorted rows a listing query keeps until the next change (listing-query.ts), on top of the steady state')]);
  table.push(['ours: real p2pclient -get of that file', c?.getMs ?? null, 'ms', realNote(c?.getVerified ? 'downloaded and verified, process start to exit' : 'not verified')]);
  table.push(['ratio ours ÷ opentracker, bytes per entry', ratio(ours.bytesPerEntry, ot?.bytesPerEntry), '×', 'goal ≤ 2']);
  table.push(['ratio ours ÷ opentracker, lookups/s', ratio(ours.summary.lookupsPerSecond, ot?.summary.lookupsPerSecond), '×', 'goal ≥ 1']);
  table.push(['ratio ours ÷ opentracker, announces/s', ratio(ours.summary.announcesPerSecond, ot?.summary.announcesPerSecond), '×', 'goal ≥ 1']);
  const title = `Tracker scale (${mode}): ${size.peers.toLocaleString('en-US')} peers × ${size.files} files over UDP from 1024 loopback addresses, ${size.seconds} s steady state`;
  return { title, table, mode, size, ours, opentracker: ot ?? { error: otFailure }, notes: NOTES };
}
