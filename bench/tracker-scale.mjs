// Load generator: N simulated peers × F files against one tracker over UDP, from many loopback
// source addresses (127.G.x.y), bounded in count and time, with a clean stop.
//   node bench/tracker-scale.mjs -tracker HOST:PORT (-key KEY | -keyfile F | -open) -peers N -files-per-peer F [-seconds S] [-json]
// Phases: fill (join and announce every peer, a bounded window at a time, with retransmits;
// prints `ready N`), steady state for S seconds (every member heartbeats at the tracker's
// interval; lookups at saturation, announces at saturation, lookups at half the saturation rate
// for latency; sampled answers checked against the catalogue), then LEAVE for every member.
// Each phase has a hard deadline: an overrun exits 1 with a message. Usage errors exit 2.
// Extra options: -bep15 (speak BEP 15 UDP to a BitTorrent tracker such as opentracker, instead of
// protocol v2; no key), -tracker-pid PID (read the tracker's CPU and memory from /proc), -window N
// (requests in flight in the saturation loops, default 256; bench/tracker.mjs runs 64 and 512),
// -hold S (after the steady state, print `holding` and keep every member heartbeating for up to S
// seconds, or until SIGUSR2, before the leave: the benchmark runs real clients meanwhile).
// As a module it is the `tracker-scale` benchmark of `npm run bench` (bench/lib/scale-bench.mjs).
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { PhaseOverrun, memoryOf, until } from './lib/scale-fleet.mjs';

export { run } from './lib/scale-bench.mjs';

const USAGE = `usage: node bench/tracker-scale.mjs -tracker HOST:PORT (-key KEY | -keyfile F | -open) -peers N -files-per-peer F [-seconds S] [-json]
  extra: -bep15 (BEP 15 UDP to a BitTorrent tracker instead of protocol v2; no key option), -tracker-pid PID (its CPU and memory from /proc),
         -window N (requests in flight in the saturation loops, default 256), -hold S (members stay online S s more, or until SIGUSR2, after printing "holding")`;
/** Requests of the fill (joins) and of the leave phase in flight at once. */
const FILL_WINDOW = 512;
const LEAVE_WINDOW = 512;
/** Requests in flight in the saturation loops, unless -window says otherwise. */
const SATURATION_WINDOW = 256;
const MAX_WINDOW = 4096;
/** Shares of the steady state: lookups at saturation, announces at saturation, lookups at half rate. */
const SHARES = { lookups: 0.35, announces: 0.25, latency: 0.4 };

class UsageError extends Error {}

function parse(argv) {
  const a = { seconds: 30, json: false, open: false, bep15: false, window: SATURATION_WINDOW };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[++i];
    };
    const count = (min) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}`);
      return n;
    };
    switch (flag) {
      case '-tracker': {
        const m = /^(.+):(\d+)$/.exec(value());
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new UsageError('-tracker must be HOST:PORT');
        a.host = m[1].replace(/^\[|\]$/g, '');
        a.port = Number(m[2]);
        break;
      }
      case '-key': a.key = value(); break;
      case '-keyfile': a.keyfile = value(); break;
      case '-open': a.open = true; break;
      case '-bep15': a.bep15 = true; break;
      case '-peers': a.peers = count(1); break;
      case '-files-per-peer': a.files = count(1); break;
      case '-seconds': {
        a.seconds = Number(value());
        if (!(a.seconds >= 0 && a.seconds <= 86_400)) throw new UsageError('-seconds must be from 0 to 86400');
        break;
      }
      case '-tracker-pid': a.trackerPid = count(1); break;
      case '-hold': {
        a.hold = Number(value());
        if (!(a.hold >= 0 && a.hold <= 3600)) throw new UsageError('-hold must be from 0 to 3600 seconds');
        break;
      }
      case '-window': {
        a.window = count(1);
        if (a.window > MAX_WINDOW) throw new UsageError(`-window must be at most ${MAX_WINDOW}`);
        break;
      }
      case '-json': a.json = true; break;
      default: throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (a.host === undefined) throw new UsageError('-tracker is required');
  if (a.peers === undefined || a.files === undefined) throw new UsageError('-peers and -files-per-peer are required');
  const keys = [a.key !== undefined, a.keyfile !== undefined, a.open].filter(Boolean).length;
  if (a.bep15 ? keys > 0 : keys !== 1) throw new UsageError(a.bep15 ? '-bep15 takes no key option' : 'give exactly one of -key, -keyfile and -open');
  if (a.files > 1000) throw new UsageError('-files-per-peer must be at most 1000');
  return a;
}

async function networkKey(a) {
  if (a.open || a.bep15) return null;
  const { parseNetworkKey, readKeyFile } = await import('../dist/electron/engine/security/network-key.js');
  return a.keyfile !== undefined ? readKeyFile(a.keyfile) : parseNetworkKey(a.key);
}

async function makeFleet(a) {
  const options = { host: a.host, port: a.port, key: await networkKey(a), peers: a.peers, filesPerPeer: a.files };
  if (a.bep15) {
    const { Bep15Fleet } = await import('./lib/scale-bep15.mjs');
    return new Bep15Fleet(options);
  }
  const { V2Fleet } = await import('./lib/scale-v2.mjs');
  return new V2Fleet(options);
}

async function main() {
  let a;
  try {
    a = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  const say = (line) => (a.json ? process.stderr : process.stdout).write(`${line}\n`);
  const fleet = await makeFleet(a);
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(130);
    fleet.stopRequested = true;
  };
  const stopped = () => fleet.stopRequested === true;
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = { protocol: a.bep15 ? 'bep15' : fleet.seal.mode === 'sealed' ? 'v2 sealed' : 'v2 open', tracker: `${a.host}:${a.port}`, peers: a.peers, filesPerPeer: a.files, sockets: fleet.layout.sockets, contents: fleet.catalogue.size, errors: [] };
  let code = 0;
  try {
    say(`binding ${fleet.layout.sockets} sockets on 127.${fleet.layout.group}.x.y`);
    await fleet.start();
    say(`filling: ${a.peers.toLocaleString('en-US')} peers × ${a.files} files`);
    // 1. Fill.
    const t0 = performance.now();
    const fillBudgetMs = 60_000 + 2 * a.peers; // ~900 joins/s measured: 1,000,000 peers take ~18 min
    const progress = setInterval(() => say(`fill: ${fleet.announced.toLocaleString('en-US')} of ${a.peers.toLocaleString('en-US')} announced (${Math.round(fleet.announced / ((performance.now() - t0) / 1000))}/s)`), 10_000);
    try {
      await until(fleet.fill(FILL_WINDOW), t0 + fillBudgetMs, `fill (${Math.round(fillBudgetMs / 1000)} s budget)`, stopped);
    } finally {
      clearInterval(progress);
    }
    const fillSeconds = (performance.now() - t0) / 1000;
    Object.assign(summary, {
      joined: fleet.announced,
      failedJoins: fleet.failed,
      files: fleet.announced * a.files,
      fillSeconds: +fillSeconds.toFixed(2),
      joinsPerSecond: Math.round(fleet.announced / fillSeconds),
      intervalMs: fleet.intervalMs || null,
      identity: fleet.signing ? { joinsSigned: fleet.signing.joins, keysGenerated: fleet.signing.generated, microsecondsPerJoin: fleet.signing.joins ? +((fleet.signing.ms * 1000) / fleet.signing.joins).toFixed(1) : null, note: 'in the generator: Ed25519 key generation (first join) + JOIN signature' } : undefined,
    });
    process.stdout.write(`ready ${fleet.announced}\n`);
    say(`fill: ${fleet.announced.toLocaleString('en-US')} peers × ${a.files} files in ${fillSeconds.toFixed(1)} s (${summary.joinsPerSecond}/s), interval ${fleet.intervalMs} ms${fleet.failed ? `, ${fleet.failed} failed` : ''}`);
    if (a.trackerPid) summary.trackerMemoryReady = memoryOf(a.trackerPid);
    // 2. Steady state.
    const ms = a.seconds * 1000;
    const hb0 = { ...fleet.heartbeats };
    const lookups = await fleet.loops.closed('lookup', a.window, ms * SHARES.lookups, a.trackerPid);
    say(`lookups at saturation: ${lookups.perSecond}/s (${lookups.shape}; cores: tracker ${lookups.cores.tracker}, generator ${lookups.cores.generator})`);
    const announces = await fleet.loops.closed('announce', a.window, ms * SHARES.announces, a.trackerPid);
    say(`announces at saturation: ${announces.perSecond}/s (cores: tracker ${announces.cores.tracker}, generator ${announces.cores.generator})`);
    const rate = Math.max(1, Math.round(lookups.perSecond / 2));
    const latency = await fleet.loops.open('lookup', rate, ms * SHARES.latency, a.trackerPid);
    say(`lookups at ${rate}/s (half of saturation): p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms (generator loop delay p99 ${latency.generatorLoopDelayMs.p99} ms), ${latency.failed} failed, ${latency.skipped} not sent (no idle member)`);
    if (a.trackerPid) summary.trackerMemorySteady = memoryOf(a.trackerPid);
    Object.assign(summary, {
      announcesPerSecond: announces.perSecond,
      lookupsPerSecond: lookups.perSecond,
      p50Ms: latency.p50Ms,
      p99Ms: latency.p99Ms,
      latencyAtRate: rate,
      intervalMs: fleet.intervalMs || null,
      heartbeats: { sent: fleet.heartbeats.sent - hb0.sent, acked: fleet.heartbeats.acked - hb0.acked, note: 'during the steady state' },
      loops: { lookups, announces, latency },
      lookupCheck: { ...fleet.lookupCheck },
    });
    const check = fleet.lookupCheck;
    say(`heartbeats in steady state: ${summary.heartbeats.sent} sent, ${summary.heartbeats.acked} acknowledged; lookups checked ${check.checked} (${check.holders} holders): ${check.wrong} wrong, ${check.empty} empty`);
    if (check.wrong > 0) summary.errors.push(`${check.wrong} lookup answers named holders that never announced the content (e.g. ${check.samples.join('; ')})`);
    // 2b. Hold: members stay online (heartbeats only) while someone else uses the tracker.
    if (a.hold > 0) {
      const t1 = performance.now();
      const hb1 = { ...fleet.heartbeats };
      let released = false;
      const release = () => (released = true);
      process.once('SIGUSR2', release);
      process.stdout.write('holding\n');
      while (!released && !stopped() && performance.now() - t1 < a.hold * 1000) await new Promise((r) => setTimeout(r, 100));
      process.off('SIGUSR2', release);
      summary.hold = { seconds: +((performance.now() - t1) / 1000).toFixed(2), released, heartbeats: { sent: fleet.heartbeats.sent - hb1.sent, acked: fleet.heartbeats.acked - hb1.acked } };
      say(`hold: ${summary.hold.seconds} s with every member online (${summary.hold.heartbeats.sent} heartbeats sent, ${summary.hold.heartbeats.acked} acknowledged)`);
    }
    // 3. Clean stop.
    const t2 = performance.now();
    const leaveBudgetMs = 30_000 + a.peers / 5;
    await until(fleet.leaveAll(LEAVE_WINDOW), t2 + leaveBudgetMs, `leave (${Math.round(leaveBudgetMs / 1000)} s budget)`);
    summary.left = fleet.left;
    summary.leaveSeconds = +((performance.now() - t2) / 1000).toFixed(2);
    say(`leave: ${fleet.left.toLocaleString('en-US')} members left in ${summary.leaveSeconds} s`);
  } catch (err) {
    if (!(err instanceof PhaseOverrun)) throw err;
    summary.errors.push(err.message);
    process.stderr.write(`tracker-scale: ${err.message} (${fleet.announced} of ${a.peers} announced, ${fleet.left} left)\n`);
    code = 1;
  } finally {
    summary.counts = fleet.counts;
    summary.drops = Object.values(fleet.counts.replyDrops).reduce((x, y) => x + y, 0);
    summary.timeouts = Object.values(fleet.counts.timeouts).reduce((x, y) => x + y, 0);
    // Bounded too: a stuck close must not keep an overrun from being reported.
    await Promise.race([fleet.close(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
  if (summary.errors.length > 0) code = 1;
  say(`datagrams: ${fleet.counts.sent} sent, ${fleet.counts.received} received, ${summary.timeouts} timeouts ${JSON.stringify(fleet.counts.timeouts)}, ${summary.drops} bad replies, errors ${JSON.stringify(fleet.counts.errors)}`);
  if (a.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`tracker-scale: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
